"""Pickwise without the browser: the same store and engines, for scripts and CI.

Every command takes ``--db`` (else ``PICKWISE_DB``, else ``data/pickwise.json``). Errors print one
clear line to stderr and exit non-zero; ``--json`` output on stdout is the only thing there.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
from collections.abc import Callable
from typing import NoReturn

from core import defaults, limits
from core.benchmark.settings import BenchmarkSettings
from core.decide.exports import FORMATS
from core.decide.settings import DEFAULT_MISSING_DATA, LATENCY_STATS, MISSING_DATA_RULES
from core.engines.base import ChatParams, EngineError
from core.numbers import NumberRange
from core.paths import store_path
from store import Store, StoreError, open_store
from store.records import Run

CATALOG_WAIT_S = 30.0  # online, the public catalog takes a few seconds; offline it is known at once
FAMILY_CATALOG_WAIT_S = 60.0  # offline, Foundry Local gives up on its public catalog after ~4.5 s


class CliError(Exception):
    """A failure to report as one line, exit code 1."""


def _open_store(args: argparse.Namespace) -> Store:
    """The store every command uses, with runs and jobs whose process is gone marked interrupted."""
    from core.jobs import mark_orphans_interrupted

    store = open_store(store_path(args.db))
    if store.recovered is not None:
        print(f"warning: {store.recovered}", file=sys.stderr)
    mark_orphans_interrupted(store)
    return store


def _sources(store: Store):
    """The CLI's sources: Foundry Local starts only when one of its models is used or listed, so a command
    about endpoint models never touches its catalog."""
    from core.models.sources import local_sources

    return local_sources(store)


def _stderr_progress(step: str, percent: float | None) -> None:
    tail = f" {percent:5.1f}%" if percent is not None else ""
    print(f"[convert] {step}{tail}", file=sys.stderr, flush=True)


def cmd_prepare_default(args: argparse.Namespace) -> int:
    from core.models.default_model.pipeline import prepare_default_model

    model_id = prepare_default_model(_stderr_progress)
    print(f"Default model ready: foundry-local:{model_id}")
    return 0


def cmd_models_add(args: argparse.Namespace) -> int:
    """Register an ONNX GenAI folder, or convert a Hugging Face folder or GGUF file first (in the foreground:
    Ctrl-C stops the conversion and leaves nothing behind)."""
    from core.engines.foundry_local import FoundryLocalEngine
    from core.models.custom_model import add_model, plan_addition

    engine = FoundryLocalEngine()
    addition = plan_addition(engine, args.path, args.name)
    print(add_model(engine, addition, _stderr_progress))
    return 0


def cmd_models_remove(args: argparse.Namespace) -> int:
    from core.engines.foundry_local import FoundryLocalEngine
    from core.models.custom_model import remove_model

    print(remove_model(FoundryLocalEngine(), args.name))
    return 0


def _catalog_status() -> str | None:
    """How the public catalog fetch went, waiting for it only as long as it takes to find it offline
    (online, listing waits for the catalog so its models are listed)."""
    from core.engines.foundry_local import get_foundry_engine

    try:
        return get_foundry_engine().wait_for_catalog(timeout=CATALOG_WAIT_S).message
    except EngineError:
        return None


def cmd_models_list(args: argparse.Namespace) -> int:
    sources = _sources(_open_store(args))
    status = _catalog_status()
    listings = sources.listings()
    if args.json:
        rows = [
            {"ref": m.ref, "source": m.source, "model_id": m.model_id, "state": m.state, "device": m.device,
             "execution_provider": m.execution_provider, "size_mb": m.size_mb, "license": m.license}
            for listing in listings for m in listing.models
        ]
        errors = {listing.source: listing.error for listing in listings if listing.error}
        print(json.dumps({"models": rows, "errors": errors, "public_catalog": status}, indent=2))
        return 0
    if status:
        print(f"Foundry Local: {status}", file=sys.stderr)
    for listing in listings:
        print(f"== {listing.source}" + (f"  (error: {listing.error})" if listing.error else ""))
        for m in listing.models:
            size = f"{m.size_mb:.0f} MB" if m.size_mb else "-"
            print(f"  {m.ref:60s} {m.state:9s} {m.device or '-':4s} {m.execution_provider or '-':24s} {size}")
    return 0


def cmd_endpoints_add(args: argparse.Namespace) -> int:
    from core.models.sources import add_endpoint

    try:
        name = add_endpoint(_open_store(args), args.name, args.base_url, args.api_key_env).name
    except ValueError as exc:
        raise CliError(str(exc)) from None  # the message is the whole story; never chain the raw value
    print(f"Endpoint {name!r} added. Its models are referenced as {name}:MODEL_ID.")
    return 0


def cmd_endpoints_list(args: argparse.Namespace) -> int:
    from core.models.sources import list_endpoints

    endpoints = list_endpoints(_open_store(args))
    if args.json:
        print(json.dumps([e.as_dict() for e in endpoints], indent=2))
        return 0
    if not endpoints:
        print("No endpoints yet. Add one: python cli.py endpoints add NAME --base-url URL [--api-key-env VAR]")
    for e in endpoints:
        key = f" key from ${e.api_key_env}" if e.api_key_env else ""
        problem = f"\n{'':20s} unusable: {e.problem}" if e.problem else ""
        print(f"{e.name:20s} {e.base_url}{key}{problem}")
    return 0


def cmd_endpoints_edit(args: argparse.Namespace) -> int:
    from core.models.sources import edit_endpoint

    if args.url is None and args.key_env is None:
        raise CliError("Nothing to change: give --url URL and/or --key-env VAR (--key-env '' for no key).")
    try:
        endpoint = edit_endpoint(_open_store(args), args.name, args.url, args.key_env)
    except ValueError as exc:
        raise CliError(str(exc)) from None  # the message is the whole story; never chain the raw value
    key = f", key from ${endpoint.api_key_env}" if endpoint.api_key_env else ", no key"
    print(f"Endpoint {endpoint.name!r} now at {endpoint.base_url}{key}.")
    return 0


def cmd_endpoints_remove(args: argparse.Namespace) -> int:
    from core.models.sources import remove_endpoint

    if not remove_endpoint(_open_store(args), args.name):
        raise CliError(f"No endpoint named {args.name!r}.")
    print(f"Endpoint {args.name!r} removed.")
    return 0


def cmd_probe(args: argparse.Namespace) -> int:
    from core.benchmark.probe import run_probe

    store = _open_store(args)
    try:
        params = ChatParams(max_output_tokens=args.max_tokens, timeout_s=args.timeout)
        result = run_probe(_sources(store), store, args.model, args.prompt, params)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    t = result.timing
    if args.json:
        print(json.dumps({
            "run_id": result.run_id, "model": result.model_ref, "ok": result.ok, "error": result.error,
            "load_s": result.load_s, "device": result.device, "execution_provider": result.execution_provider,
            "ttft_s": t.ttft_s if t else None, "e2e_s": t.e2e_s if t else None,
            "decode_tps": t.decode_tps if t else None, "completion_tokens": t.completion_tokens if t else None,
            "token_source": t.token_source if t else None, "text": t.text if t else None,
            "text_truncated": t.text_truncated if t else None,
        }, indent=2))
    elif result.ok and t is not None:  # an answer has text, so its first-token and latency times exist
        print(t.text)
        tps = f"{t.decode_tps:.1f} tok/s" if t.decode_tps else "n/a tok/s"
        cut = ", text truncated in the store" if t.text_truncated else ""
        print(f"\n-- {result.model_ref}: TTFT {t.ttft_s * 1000:.0f} ms, latency {t.e2e_s:.2f} s, {tps}, "
              f"{t.completion_tokens} tokens ({t.token_source}){cut}; run {result.run_id}", file=sys.stderr)
    if not result.ok:
        if not args.json:
            print(f"error: {result.error}", file=sys.stderr)
        return 1
    return 0


class _TerminalProgress:
    """The CLI's ``Control``: a one-line progress bar on stderr when it is a terminal, Ctrl-C cancels."""

    def __init__(self, *, lines: bool = False) -> None:
        self._tty = sys.stderr.isatty()
        self._lines = lines  # off a terminal, print each message on a line of its own (no bar to redraw)
        self.cancel_requested = False

    @property
    def cancelled(self) -> bool:
        return self.cancel_requested

    def progress(self, done: float, total: float | None, message: str = "", *, force: bool = False) -> None:
        if not self._tty and self._lines and message:
            print(message, file=sys.stderr, flush=True)
        if not self._tty or not total:
            return
        width = 30
        filled = int(width * min(1.0, done / total))
        line = f"[{'#' * filled}{'.' * (width - filled)}] {done:.0f}/{total:.0f} {message}"
        print(f"\r{line[:150]:150s}", end="", file=sys.stderr, flush=True)

    def on_interrupt(self, signum: int, frame: object) -> None:
        """First Ctrl-C: finish the current request, keep every sample, end as cancelled. Second: abort."""
        if self.cancel_requested:
            raise KeyboardInterrupt
        self.cancel_requested = True
        print("\ncancelling after the current request (Ctrl-C again to abort)", file=sys.stderr)

    def finish(self) -> None:
        if self._tty:
            print(file=sys.stderr)


def _read_file(path: str, what: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise CliError(f"Cannot read the {what} file {path!r}: {exc.strerror}.") from exc


def _bench_settings(args: argparse.Namespace, store: Store):
    from core.benchmark.prompt_sets.saved import prompt_set_choices
    from core.benchmark.settings import BenchmarkSettings
    from core.config import ConfigError, load_models_config, load_prompts_config
    from core.models.specs import save_model_specs

    if args.device and not args.family:
        raise CliError("--device chooses the devices of --family: give --family ALIAS too.")
    if not args.models and not args.family:
        raise CliError("Name the models to benchmark: --models models.json, --family ALIAS, or both.")
    try:
        specs = load_models_config(_read_file(args.models, "models"), args.models) if args.models else []
        if args.prompts:
            prompts = [p.model_dump(exclude_none=True)
                       for p in load_prompts_config(_read_file(args.prompts, "prompts"), args.prompts)]
            set_name = args.prompts
        else:
            choices = prompt_set_choices(store)
            if args.prompt_set not in choices:
                raise CliError(f"No prompt set {args.prompt_set!r}. Known: {', '.join(choices)}.")
            prompts, set_name = choices[args.prompt_set], args.prompt_set
    except ConfigError as exc:
        raise CliError(str(exc)) from exc
    refs = [s.ref for s in specs]
    refs += [ref for ref in _family_refs(args, store) if ref not in refs]
    settings = BenchmarkSettings(
        models=refs, prompts=prompts, prompt_set_name=set_name, warmup=args.warmup,
        rounds=args.rounds, max_output_tokens=args.max_tokens, timeout_s=args.timeout,
        concurrency=args.concurrency, seed=args.seed, slo=dict(args.slo),
    )
    try:
        settings.validate()
        _sources(store).check_sources((spec.alias, spec.ref) for spec in specs)  # before anything is stored
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    save_model_specs(store, specs)
    return settings


def _family_refs(args: argparse.Namespace, store: Store) -> list[str]:
    """``--family ALIAS --device D ...``: the refs of the family's variants on those devices (``all``: every
    variant Foundry Local lists for this machine)."""
    from core.engines.foundry_local import get_foundry_engine
    from core.models.variants import ALL_DEVICES, VariantError, expand_family, model_families

    if not args.family:
        return []
    with contextlib.suppress(EngineError):  # an unavailable Foundry Local lists no family: said below
        get_foundry_engine().wait_for_catalog(FAMILY_CATALOG_WAIT_S)
    listings = _sources(store).listings()
    families = model_families(m for listing in listings for m in listing.models)
    try:
        return expand_family(families, args.family, args.device or [ALL_DEVICES])
    except VariantError as exc:
        raise CliError(str(exc)) from None


def _print_summary(run: Run, samples: list[dict]) -> None:
    """The run's table (the lowest concurrency level), then every level with its throughput, on stderr."""
    from core.benchmark.run_summary import (
        SUMMARY_COLUMNS,
        concurrency_frame,
        run_summary_frame,
        small_sample_notice,
        targets_lines,
    )
    from core.table_text import table_text

    frame = run_summary_frame(run, samples)
    print(table_text(frame[["model", *SUMMARY_COLUMNS]]), file=sys.stderr)
    if notice := small_sample_notice(frame):
        print(notice, file=sys.stderr)
    print("\nEvery concurrency level (throughput: output tokens of all requests per second):", file=sys.stderr)
    print(table_text(concurrency_frame(run, samples)), file=sys.stderr)
    for line in targets_lines(run):
        print(line, file=sys.stderr)


def _print_fit_warnings(store: Store, settings: BenchmarkSettings) -> None:
    """Will it fit: one warning line per Foundry Local model that may not, at the run's prompts (the run goes on
    regardless)."""
    from core.models.fit import fit_warnings
    from core.refs import FOUNDRY_SOURCE, parse_ref

    local = [ref for ref in settings.models if parse_ref(ref).source == FOUNDRY_SOURCE]  # endpoints: not ours
    prompts = [p["prompt"] for p in settings.prompts]
    for line in fit_warnings(_sources(store), local, prompts=prompts) if local else []:
        print(f"warning: {line}", file=sys.stderr)


def cmd_bench(args: argparse.Namespace) -> int:
    from core.benchmark.runner import create_run, execute_run
    from store import queries

    store = _open_store(args)
    settings = _bench_settings(args, store)
    _print_fit_warnings(store, settings)
    run_id = create_run(store, settings)
    control = _TerminalProgress()
    print(f"Run {run_id}: {len(settings.models)} models × {len(settings.prompts)} prompts × "
          f"{settings.rounds} rounds (+{settings.warmup} warm-up)", file=sys.stderr)
    previous = signal.signal(signal.SIGINT, control.on_interrupt)
    try:
        run = execute_run(store, run_id, control)
    finally:
        signal.signal(signal.SIGINT, previous)
        control.finish()
    _print_summary(run, queries.run_samples(store, run_id))
    ok = [ref for ref, m in run.models.items() if queries.produced_results(m)]
    if args.json:
        stored = run.as_dict()
        print(json.dumps({k: stored[k] for k in ("run_id", "status", "settings", "environment", "models")},
                         indent=2, default=str))
    else:
        print(f"run_id: {run_id}")
    if not ok:
        print("error: no model produced a result", file=sys.stderr)
        return 1
    return 0


def _json_file(path: str | None, what: str) -> dict:
    from core.config import ConfigError, load_json_object

    if not path:
        return {}
    try:
        return load_json_object(_read_file(path, what), path)
    except ConfigError as exc:
        raise CliError(str(exc)) from exc


def cmd_decide(args: argparse.Namespace) -> int:
    from functools import partial

    from core.decide import report
    from core.decide.candidates import candidate_table_from_store
    from core.decide.decision import build_decision, save_decision
    from core.decide.exports import export_plan, write_exports
    from core.decide.settings import Constraints, SelectionSettings, default_criteria
    from core.grading.examples import example_answers
    from core.grading.quality_source import quality_for_decision
    from core.output_file import OutputError

    try:
        plan = export_plan(args.format, args.out)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    store = _open_store(args)
    try:
        weights = _json_file(args.weights, "weights") or None
        constraints = Constraints.from_dict(_json_file(args.constraints, "constraints"))
        settings = SelectionSettings(criteria=default_criteria(weights), latency_stat=args.latency,
                                     constraints=constraints, missing_data=args.missing_data,
                                     entered=_json_file(args.entered, "entered values"))
        if args.override_unqualified is not None and not args.quality.strip().startswith("judge:"):
            raise CliError("--override-unqualified lets an unqualified judge's scores count: use it with "
                           "--quality judge:SOURCE:MODEL_ID.")
        quality = quality_for_decision(store, args.runs, args.quality, args.rubric,
                                       override_reason=args.override_unqualified)
        if quality.held_back and not quality.quality:
            raise CliError(f"{quality.held_back[0].verdict} Pass --override-unqualified \"REASON\" to use its "
                           "scores anyway (the decision record quotes the reason), or choose --quality people or none.")
        table = candidate_table_from_store(store, args.runs, quality.quality)
        record = build_decision(table, settings, title=args.title, context=args.context,
                                quality_source=quality.source, none_qualifies=args.none_qualifies,
                                examples=partial(example_answers, store, quality.source,
                                                 {c.ref: c.run_id for c in table.candidates if c.run_id}))
    except (TypeError, ValueError) as exc:
        raise CliError(str(exc)) from exc
    verdicts = [gate.verdict for gate in quality.gates.values()]
    for note in [quality.note, *verdicts, *(a.verdict for a in quality.agreements.values())]:
        if note:
            print(f"quality: {note}", file=sys.stderr)
    try:
        write_exports(record, plan)
    except (report.PdfUnavailable, OutputError) as exc:
        raise CliError(str(exc)) from exc
    written = ", ".join(str(path) for _, path in plan)
    outcome = f"{record['chosen']} (top-ranked)" if record["chosen"] else "no model qualifies"
    if args.no_record:
        print(f"Decision {record['decision_id']}: {outcome}; written to {written}; not recorded (--no-record)")
    else:
        save_decision(store, record)  # only once every file exists: never recorded without its exports
        print(f"Decision {record['decision_id']}: {outcome}; written to {written}")
    print(report.lead_sentence(record))
    from core.compare.head_to_head import statements_between

    run_of = {c["ref"]: c["run_id"] for c in record["candidates"]["candidates"]}
    if len(record["ranked"]) >= 2:  # what the top two differ by, measured, with intervals
        for sentence in statements_between(store, *((m["ref"], run_of[m["ref"]]) for m in record["ranked"][:2])):
            print(sentence)
    return 0


def cmd_runs_list(args: argparse.Namespace) -> int:
    from core.bundles import run_rows

    rows = run_rows(_open_store(args))
    if args.json:
        print(json.dumps({"runs": rows}, indent=2))
        return 0
    for row in rows:
        print(f"{row['run_id']:14s} {row['kind']:9s} {row['status']:11s} {row['created_at'][:19]}  "
              f"{row['machine']:16s} {row['samples']:6d} samples  {', '.join(row['models'])}")
    return 0


def cmd_runs_show(args: argparse.Namespace) -> int:
    from core.bundles import BundleError, run_details

    try:
        details = run_details(_open_store(args), args.run_id)
    except BundleError as exc:
        raise CliError(str(exc)) from exc
    if args.json:
        print(json.dumps(details, indent=2))
        return 0
    run = details["run"]
    print(f"Run {run['run_id']} ({run['kind']}, {run['status']}), created {run['created_at']} on {details['machine']}")
    print(f"Prompt set: {run['prompt_set']['name']} ({len(run['prompt_set']['prompts'])} prompts)")
    for ref, model in run["models"].items():
        print(f"  {ref}: {model['status']}, device {model.get('device') or '-'}, "
              f"{model.get('execution_provider') or '-'}")
    print(", ".join(f"{n} {table}" for table, n in details["counts"].items())
          + (f"; evidence in decision {', '.join(details['decisions'])}" if details["decisions"] else ""))
    return 0


def cmd_runs_export(args: argparse.Namespace) -> int:
    from core.bundles import BundleError, export_bundle
    from core.output_file import OutputError, write_output

    try:
        write_output(args.out, export_bundle(_open_store(args), args.run_ids, label=args.label))
    except (BundleError, OutputError) as exc:
        raise CliError(str(exc)) from exc
    print(f"Wrote {len(set(args.run_ids))} run(s) to {args.out}: import them elsewhere with "
          f"python cli.py runs import {args.out}")
    return 0


def cmd_runs_import(args: argparse.Namespace) -> int:
    from core.bundles import BundleError, import_bundle

    store = _open_store(args)
    refused = 0
    for path in args.files:
        try:
            report = import_bundle(store, _read_file(path, "bundle"), name=path)
        except (BundleError, CliError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            refused += 1
            continue
        print(report.sentence(path))
    return 1 if refused else 0


def cmd_runs_delete(args: argparse.Namespace) -> int:
    from core.bundles import BundleError, delete_run

    try:
        removed = delete_run(_open_store(args), args.run_id)
    except BundleError as exc:
        raise CliError(str(exc)) from exc
    print(f"Deleted run {args.run_id} with " + ", ".join(f"{n} {table}" for table, n in removed.items()) + ".")
    return 0


def _rubric(store: Store, name: str, version: int | None = None):
    """A stored rubric by name (its latest version, or ``version``), presets installed first as on the page."""
    from core.grading import get_rubric, install_presets, list_rubrics, rubric_versions

    install_presets(store)
    found = get_rubric(store, name) if version is None else next(
        (r for r in rubric_versions(store, name) if r.version == version), None)
    if found is None:
        known = ", ".join(sorted({r.name for r in list_rubrics(store)}))
        wanted = name if version is None else f"{name} v{version}"
        raise CliError(f"No rubric {wanted!r} in this store (known: {known}).")
    return found


def cmd_grades_export(args: argparse.Namespace) -> int:
    from core.grading.manual import export_annotation_csv
    from core.output_file import OutputError, write_output
    from store import queries

    store = _open_store(args)
    if queries.get_run(store, args.run) is None:
        raise CliError(f"No run {args.run!r} in the store: list runs on the Benchmark page or with cli.py bench.")
    rubric = _rubric(store, args.rubric)
    sheet = export_annotation_csv(store, args.run, rubric)
    try:
        write_output(args.out, sheet.encode("utf-8"))
    except OutputError as exc:
        raise CliError(str(exc)) from exc
    answers = sheet.count("\r\n") - 1
    print(f"Wrote {answers} answers of run {args.run} to {args.out} for {rubric.label}: fill one score (1-5) per "
          f"criterion column and your name in the grader column, then: python cli.py grades import {args.out}")
    return 0


def cmd_grades_import(args: argparse.Namespace) -> int:
    from core.grading.manual import import_annotation_csv, sheet_origin

    data = _read_file(args.file, "grades")
    store = _open_store(args)
    try:
        origin = sheet_origin(data)
        grader = args.grader or origin.grader
        if not grader:
            raise CliError("Say who graded: pass --grader NAME or fill the sheet's grader column.")
        report = import_annotation_csv(store, origin.run_id, grader, _rubric(store, origin.rubric_name,
                                                                             origin.rubric_version), data)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    for problem in report.problems:
        print(f"{args.file}: {problem}", file=sys.stderr)
    print(f"Stored {report.stored} grades by {grader} for run {origin.run_id} ({report.added} new, "
          f"{report.replaced} replaced); {report.blank_rows} rows not graded yet; {len(report.bad_rows)} bad rows "
          "left out" + (" (listed above: fix them and import the file again)." if report.problems else "."))
    return 1 if report.problems else 0  # the good rows are stored either way


def _judge_inputs(args: argparse.Namespace, store: Store):
    """The rubric (latest version of ``--rubric``) after checking the run and the judge reference."""
    from core.refs import parse_ref
    from store import queries

    if queries.get_run(store, args.run) is None:
        raise CliError(f"No run {args.run!r} in the store: give a run id that 'bench' printed.")
    try:
        parse_ref(args.judge)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    return _rubric(store, args.rubric)


def cmd_judge(args: argparse.Namespace) -> int:
    store = _open_store(args)
    rubric = _judge_inputs(args, store)
    if args.mode == "pairwise":
        return _judge_pairwise(args, store, rubric)
    return _judge_single(args, store, rubric)


def _judge_pairwise(args: argparse.Namespace, store: Store, rubric) -> int:
    """Two models' answers to each prompt, judged in both orders: the position-consistency rate and the win
    rate per pair with intervals (``--json``: one record on stdout, with ``parse_failure_rate``)."""
    from core.grading.pairwise import execute_pairwise, pairwise_message
    from core.grading.pairwise_results import pairwise_summary
    from core.jobs import Incomplete

    control = _TerminalProgress(lines=True)
    print(f"Comparing the answers of run {args.run} pairwise with {args.judge} ({rubric.label}), both orders",
          file=sys.stderr, flush=True)
    previous = signal.signal(signal.SIGINT, control.on_interrupt)
    try:
        counts = execute_pairwise(_sources(store), store, args.run, args.judge, rubric, control,
                                  timeout_s=args.timeout, **({"max_output_tokens": args.max_tokens}
                                                             if args.max_tokens else {}))
    except ValueError as exc:
        raise CliError(str(exc)) from None
    finally:
        signal.signal(signal.SIGINT, previous)
        control.finish()
    summary = pairwise_summary(store, args.run, args.judge, rubric)
    if summary is None:
        raise CliError("Nothing to compare: pairwise judging needs two models that answered the same prompt.")
    record = {"run_id": args.run, "judge": args.judge, "mode": "pairwise", "this_job": counts, **summary.as_dict()}
    out = sys.stderr if args.json else sys.stdout
    if args.json:
        print(json.dumps(record, indent=2))
    _print_pairwise(record, out)
    message = pairwise_message(counts, args.judge)
    if isinstance(message, Incomplete):
        print(f"warning: {message.message}", file=sys.stderr)
    return 0


def _print_pairwise(record: dict, file) -> None:
    rate = record["parse_failure_rate"]
    consistency = record["position_consistency"]
    print(f"Pairwise judge {record['judge']} on run {record['run_id']} ({record['rubric']})", file=file)
    print(f"  verdicts: {record['verdicts']}, unreadable {record['unreadable_verdicts']} (parse-failure rate "
          f"{'-' if rate is None else f'{rate:.0%}'}); position consistency " + _share(consistency), file=file)
    print(f"  {record['verdict']}", file=file)
    print("  win rate per pair (first model's wins, ties count half; exact 95% CI; prompts):", file=file)
    for pair in record["pairs"]:
        shown = "-" if pair["x_win_rate"] is None else f"{pair['x_win_rate']:.0%}"
        print(f"    {pair['model_x']} vs {pair['model_y']}: {shown} ({_interval(pair)}), n={pair['prompts']}",
              file=file)


def _share(share: dict) -> str:
    rate = share.get("rate")
    return "n/a (nothing read in both orders)" if rate is None else f"{rate:.0%} ({_interval(share)})"


def _interval(figure: dict) -> str:
    low, high = figure.get("ci95_low"), figure.get("ci95_high")
    return "no interval" if low is None or high is None else f"{low:.0%}-{high:.0%}"


def _judge_single(args: argparse.Namespace, store: Store, rubric) -> int:
    import time

    from core.grading.judge import DEFAULT_MAX_OUTPUT_TOKENS, execute_judging, judging_summary
    from core.jobs import Incomplete

    control = _TerminalProgress(lines=True)
    what = "the unscored answers of " if args.retry_unscored else ""
    print(f"Judging {what}run {args.run} with {args.judge} ({rubric.label}), control answers mixed in",
          file=sys.stderr, flush=True)
    previous = signal.signal(signal.SIGINT, control.on_interrupt)
    started = time.perf_counter()
    try:
        counts = execute_judging(_sources(store), store, args.run, args.judge, rubric, control,
                                 max_output_tokens=args.max_tokens or DEFAULT_MAX_OUTPUT_TOKENS, timeout_s=args.timeout,
                                 retry_unscored=args.retry_unscored)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    finally:
        signal.signal(signal.SIGINT, previous)
        control.finish()
    record = _judging_record(store, args, rubric, counts, time.perf_counter() - started)
    if args.json:
        print(json.dumps(record, indent=2))
    _print_judging(record, file=sys.stderr if args.json else sys.stdout)
    summary = judging_summary(counts, args.judge)
    if isinstance(summary, Incomplete):
        print(f"warning: {summary.message} (python cli.py judge ... --retry-unscored)", file=sys.stderr)
    return 0


def _judging_record(store: Store, args: argparse.Namespace, rubric, counts: dict, seconds: float) -> dict:
    """What ``judge --json`` prints: this job's counts, then where the judge stands on the run under
    the rubric version (every verdict so far), its control qualification and the quality per model."""
    from collections import Counter

    from core.grading.controls import judge_qualification
    from core.grading.results import quality_by_model
    from store import queries
    from store.records import Judgment

    verdicts = queries.scores_for(store, Judgment, args.run, rubric.name, rubric.version, controls=True,
                                  judge_ref=args.judge)
    unscored = sum(j.status != "scored" for j in verdicts)
    answers = [j for j in verdicts if j.control is None]
    qualification = judge_qualification(store, args.run, args.judge, rubric)
    asked = counts["judged"] + counts["controls"]
    return {
        "run_id": args.run, "judge": args.judge, "rubric": rubric.label, "mode": args.mode, "this_job": counts,
        "seconds": round(seconds, 1), "seconds_per_verdict": round(seconds / asked, 2) if asked else None,
        "answers": {"judged": len(answers), "scored": sum(j.status == "scored" for j in answers),
                    "unscored": sum(j.status != "scored" for j in answers)},
        "verdicts": len(verdicts), "unscored_verdicts": unscored,
        "parse_failure_rate": unscored / len(verdicts) if verdicts else None,
        "methods": dict(Counter(j.method or "unrecorded" for j in verdicts)),
        "controls": qualification.as_dict() if qualification else None,
        "quality": [{"model": q.model_ref, "answers": q.n_items, "scored": q.n_scored, "unscored": q.n_unscored,
                     "mean": q.overall.mean, "ci95_low": q.overall.ci95_low, "ci95_high": q.overall.ci95_high}
                    for q in quality_by_model(store, args.run, rubric, judge_ref=args.judge)],
    }


def _print_judging(record: dict, file) -> None:
    answers, controls = record["answers"], record["controls"]
    rate = record["parse_failure_rate"]
    print(f"Judge {record['judge']} on run {record['run_id']} ({record['rubric']})", file=file)
    print(f"  answers: {answers['judged']} judged, {answers['scored']} scored, {answers['unscored']} unscored; "
          f"parse-failure rate {'-' if rate is None else f'{rate:.0%}'} ({record['unscored_verdicts']} of "
          f"{record['verdicts']} verdicts, controls included); scores obtained: "
          + ", ".join(f"{method} {n}" for method, n in sorted(record["methods"].items())), file=file)
    if record["seconds_per_verdict"] is not None:
        print(f"  this job: {record['seconds']:g} s, {record['seconds_per_verdict']:g} s per verdict", file=file)
    if controls is None:
        print("  controls: none judged (no prompt of the run has a reference answer)", file=file)
    else:
        print(f"  controls: {controls['verdict']}", file=file)
    print("  quality per model (mean overall score, 95% CI, answers scored):", file=file)
    for q in record["quality"]:
        shown = "not scored" if q["mean"] is None else f"{q['mean']:.2f}"
        interval = f"{q['ci95_low']:.2f}-{q['ci95_high']:.2f}" if q["ci95_low"] is not None else "-"
        print(f"    {q['model']:50s} {shown:>10s}  {interval:>11s}  {q['scored']}/{q['answers']}", file=file)


EXIT_BAD_INPUT = 2  # compare: an unknown run, a run with nothing measured, --fail-on-regression without --baseline
EXIT_REGRESSION = 3  # compare --fail-on-regression: a model is worse than in the baseline run beyond noise


def _compare_inputs(args: argparse.Namespace) -> tuple[list[Run], dict[str, list[dict]]]:
    """The runs to compare (the baseline run added when not listed) and their samples; ``CliError`` when a run
    is unknown or has no measured request."""
    from store import queries

    if args.fail_on_regression and not args.baseline:
        raise CliError("--fail-on-regression needs --baseline RUN_ID: the run a regression is measured against.")
    store = _open_store(args)
    try:
        runs = queries.get_runs(store, dict.fromkeys([*args.runs, *([args.baseline] if args.baseline else [])]))
    except ValueError as exc:
        raise CliError(f"{exc} Give run ids that 'bench' printed.") from None
    samples = {run.run_id: queries.run_samples(store, run.run_id) for run in runs}
    for run in runs:
        if not queries.counted_samples(samples[run.run_id]):
            raise CliError(f"Run {run.run_id} has no measured request (none run, or all failed): "
                           "pick another run or benchmark again.")
    return runs, samples


def cmd_compare(args: argparse.Namespace) -> int:
    from core.compare.groups import build_groups
    from core.compare.report import compare_report, report_text
    from core.compare.runs import model_refs
    from core.models.specs import family_tags

    try:
        runs, samples = _compare_inputs(args)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    report = compare_report(runs, build_groups(runs, samples, model_refs(runs), family_tags(_open_store(args))),
                            args.baseline)
    print(json.dumps(report, indent=2) if args.json else report_text(report))
    if args.fail_on_regression and report["regression"]:
        print("regression: a model is worse than in the baseline run beyond noise", file=sys.stderr)
        return EXIT_REGRESSION
    return 0


def _number(allowed: NumberRange) -> Callable[[str], int | float]:
    """An argparse ``type`` reading a flag as ``allowed`` does everywhere (finite, in range), so a bad
    value stops at parsing with ``argument --flag: <reason>`` before anything is opened or stored."""

    def parse(text: str) -> int | float:
        try:
            return allowed.read(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def _slo_target(text: str) -> tuple[str, float]:
    """An argparse ``type`` for ``--slo ttft=0.5``: ``("ttft_s", 0.5)``, or the one-sentence reason."""
    from core.benchmark.slo import parse_target

    try:
        return parse_target(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cli.py", description="Pickwise: choose a local LLM with evidence.")
    parser.add_argument("--db", help="store file (default: $PICKWISE_DB or data/pickwise.json)")
    sub = parser.add_subparsers(dest="command", required=True)

    models = sub.add_parser("models", help="list, add or remove models; prepare the default model").add_subparsers(
        dest="action", required=True)
    models.add_parser("prepare-default", help="convert and register SmolLM2-135M-Instruct").set_defaults(
        func=cmd_prepare_default)
    madd = models.add_parser("add", help="register an ONNX GenAI folder, or convert a Hugging Face folder or a "
                             "GGUF file and register it")
    madd.add_argument("path", help="the model's folder or .gguf file")
    madd.add_argument("--name", help="the id to register it under (NAME or NAME:VERSION; default: from the path)")
    madd.set_defaults(func=cmd_models_add)
    mrm = models.add_parser("remove", help="unregister a model added with 'models add' (deletes the folder "
                            "Pickwise converted, never your own)")
    mrm.add_argument("name", help="its id, e.g. my-model:1 or foundry-local:my-model:1")
    mrm.set_defaults(func=cmd_models_remove)
    listing = models.add_parser("list", help="every model from every source")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_models_list, reads_only=True)

    endpoints = sub.add_parser("endpoints", help="OpenAI-compatible endpoints").add_subparsers(
        dest="action", required=True)
    add = endpoints.add_parser("add", help="add an endpoint (Ollama, vLLM, llama.cpp, Azure OpenAI...)")
    add.add_argument("name")
    add.add_argument("--base-url", required=True)
    add.add_argument("--api-key-env", help="NAME of the environment variable holding the API key")
    add.set_defaults(func=cmd_endpoints_add)
    lst = endpoints.add_parser("list")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=cmd_endpoints_list)
    edit = endpoints.add_parser("edit", help="change an endpoint's URL or key variable (checked as 'add')")
    edit.add_argument("name")
    edit.add_argument("--url", help="the new base URL, e.g. http://127.0.0.1:11434/v1")
    edit.add_argument("--key-env", help="the NAME of the variable holding its key ('' for none)")
    edit.set_defaults(func=cmd_endpoints_edit)
    rm = endpoints.add_parser("remove")
    rm.add_argument("name")
    rm.set_defaults(func=cmd_endpoints_remove)

    probe = sub.add_parser("probe", help="ask one model one prompt and time it")
    probe.add_argument("model", help="SOURCE:MODEL_ID, e.g. foundry-local:pickwise-smollm2-135m:1")
    probe.add_argument("--prompt", required=True)
    probe.add_argument("--max-tokens", type=_number(limits.MAX_OUTPUT_TOKENS), default=defaults.PROBE_MAX_OUTPUT_TOKENS)
    probe.add_argument("--timeout", type=_number(limits.TIMEOUT_S), default=defaults.REQUEST_TIMEOUT_S)
    probe.add_argument("--json", action="store_true")
    probe.set_defaults(func=cmd_probe)

    bench = sub.add_parser("bench", help="benchmark models on a prompt set (same maths as the app)")
    bench.add_argument("--models", help="models.json: {alias: {source, model, ...}}")
    bench.add_argument("--family", help="a Foundry Local alias: benchmark its variants (downloaded if missing)")
    bench.add_argument("--device", action="append", metavar="DEVICE",
                       help="with --family, repeatable: cpu, gpu, npu or all (the default: every variant "
                            "Foundry Local lists for this machine)")
    prompts = bench.add_mutually_exclusive_group(required=True)
    prompts.add_argument("--prompts", help="prompts.json: a list of strings or {id, prompt, ...} objects")
    prompts.add_argument("--prompt-set", help="a built-in or imported prompt set by name")
    start = BenchmarkSettings.default_values()  # the Benchmark form starts at the same values
    bench.add_argument("--rounds", type=_number(limits.ROUNDS), default=start["rounds"])
    bench.add_argument("--warmup", type=_number(limits.WARMUP), default=start["warmup"])
    bench.add_argument("--max-tokens", type=_number(limits.MAX_OUTPUT_TOKENS), default=start["max_output_tokens"])
    bench.add_argument("--concurrency", type=_number(limits.CONCURRENCY), nargs="+", default=start["concurrency"],
                       help="one or more levels, e.g. 1 2 4")
    bench.add_argument("--timeout", type=_number(limits.TIMEOUT_S), default=start["timeout_s"],
                       help="per-request timeout in seconds")
    bench.add_argument("--seed", type=int, default=start["seed"])
    bench.add_argument("--slo", type=_slo_target, action="append", default=[], metavar="NAME=SECONDS",
                       help="a target, repeatable: ttft=0.5 (time to first token), ttfa=1 (first answer token), "
                            "e2e=3 (latency); goodput is the share of requests meeting every target")
    bench.add_argument("--json", action="store_true", help="print only the run record as JSON on stdout")
    bench.set_defaults(func=cmd_bench)

    runs = sub.add_parser("runs", help="list, show, export, import and delete runs (bundles move runs between "
                                       "machines)").add_subparsers(dest="action", required=True)
    rlist = runs.add_parser("list", help="every run, newest first, with the machine that measured it")
    rlist.add_argument("--json", action="store_true")
    rlist.set_defaults(func=cmd_runs_list)
    show = runs.add_parser("show", help="one run's record and what hangs off it")
    show.add_argument("run_id")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_runs_show)
    rexp = runs.add_parser("export", help="write runs, their samples, verdicts and grades to one bundle file")
    rexp.add_argument("run_ids", nargs="+", metavar="RUN_ID")
    rexp.add_argument("--out", required=True, help="the bundle file to write (JSON)")
    rexp.add_argument("--label", help="what to call this machine in other stores (default: its hostname)")
    rexp.set_defaults(func=cmd_runs_export)
    rimp = runs.add_parser("import", help="add the runs of bundles; runs already here are skipped, never overwritten")
    rimp.add_argument("files", nargs="+", metavar="FILE")
    rimp.set_defaults(func=cmd_runs_import)
    rdel = runs.add_parser("delete", help="delete a run with its samples, verdicts, grades and jobs")
    rdel.add_argument("run_id")
    rdel.set_defaults(func=cmd_runs_delete)

    grades = sub.add_parser("grades", help="the manual-grading spreadsheet round trip").add_subparsers(
        dest="action", required=True)
    export = grades.add_parser("export", help="write a blind grading sheet (CSV) for a run")
    export.add_argument("--run", required=True, help="benchmark run id")
    export.add_argument("--out", required=True, help="the CSV file to write")
    export.add_argument("--rubric", default=defaults.RUBRIC, help="rubric NAME (its latest version; default "
                                                                "helpfulness)")
    export.set_defaults(func=cmd_grades_export)
    imp = grades.add_parser("import", help="store the grades of a filled-in sheet; bad rows are listed, good rows "
                                           "kept")
    imp.add_argument("file", help="the CSV exported by grades export (or the Grade page), filled in")
    imp.add_argument("--grader", help="who graded (default: the sheet's grader column)")
    imp.set_defaults(func=cmd_grades_import)

    judge = sub.add_parser("judge", help="score a run's answers with a judge model, control answers mixed in")
    judge.add_argument("--run", required=True, help="benchmark run id")
    judge.add_argument("--judge", required=True, help="SOURCE:MODEL_ID of the judge model")
    judge.add_argument("--rubric", default=defaults.RUBRIC,
                       help=f"rubric NAME (its latest version; default {defaults.RUBRIC})")
    judge.add_argument("--mode", choices=["single", "pairwise"], default="single",
                       help="single: score each answer; pairwise: compare two models' answers in both orders")
    judge.add_argument("--retry-unscored", action="store_true",
                       help="judge again the answers this judge left unscored (the new verdict replaces the old)")
    judge.add_argument("--max-tokens", type=_number(limits.MAX_OUTPUT_TOKENS),
                       help="the judge's output budget per verdict (default: enough for its verdict, 400)")
    judge.add_argument("--timeout", type=_number(limits.TIMEOUT_S), default=defaults.REQUEST_TIMEOUT_S,
                       help="per verdict, in seconds")
    judge.add_argument("--json", action="store_true", help="print only the judging record as JSON on stdout")
    judge.set_defaults(func=cmd_judge)

    decide = sub.add_parser("decide", help="rank the models of stored runs and export a decision record")
    decide.add_argument("--runs", nargs="+", required=True, help="benchmark run ids")
    decide.add_argument("--weights", help='JSON file, e.g. {"latency": 40, "throughput": 20, "memory": 20, ...}')
    decide.add_argument("--constraints", help='JSON file, e.g. {"max_memory_mb": 4096, "allowed_licenses": ["MIT"]}')
    decide.add_argument("--latency", choices=LATENCY_STATS, default=LATENCY_STATS[0])
    decide.add_argument("--missing-data", choices=list(MISSING_DATA_RULES), default=DEFAULT_MISSING_DATA,
                        help="a model missing a weighted figure: drop that criterion for every model (default), fill "
                             "it from --entered (a model still missing one is left out), or leave the model out")
    decide.add_argument("--entered", help='JSON file of figures typed in for --missing-data fill, e.g. '
                                          '{"ollama:llama3.2": {"memory": 8000, "footprint": 4700}} (MB)')
    decide.add_argument("--quality", default="none", metavar="judge:REF|people|none",
                        help="grades for the quality criterion: a judge model's (judge:SOURCE:MODEL_ID), "
                             "people's, or none (default)")
    decide.add_argument("--rubric", help="rubric NAME whose latest version the grades used (default: the rubric "
                                         "with the most grades from that source in these runs)")
    decide.add_argument("--override-unqualified", metavar="REASON",
                        help="use a judge's scores even where it is not qualified for the rubric (it failed or "
                             "never took the control answers); the decision record quotes REASON")
    decide.add_argument("--title", default=defaults.DECISION_TITLE)
    decide.add_argument("--context", default="")
    decide.add_argument("--format", choices=FORMATS, action="append", default=[],
                        help="repeatable; without it, each --out's extension says its format")
    decide.add_argument("--out", action="append", default=[], metavar="FILE",
                        help="repeatable: one file per --format, or one name each format's extension is put on")
    decide.add_argument("--none-qualifies", action="store_true",
                        help="when the constraints leave no model, record that no model qualifies (every model "
                             "listed with the constraints it failed) instead of stopping with an error")
    decide.add_argument("--no-record", action="store_true",
                        help="a dry run: write the files, record no decision")
    decide.set_defaults(func=cmd_decide)

    compare = sub.add_parser(
        "compare", help="the Compare page's figures and comparisons in words, and a regression gate for CI",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="--json prints one document with the keys runs, groups, models, devices, devices_note, baseline and\n"
               "regression (described in core/compare/report.py); a missing figure is null.\n"
               f"exit codes: 0 done; {EXIT_BAD_INPUT} unknown run, run with no measured request, or "
               f"--fail-on-regression without --baseline;\n"
               f"{EXIT_REGRESSION} with --fail-on-regression, a model is worse than in the baseline run beyond noise.")
    compare.add_argument("--runs", nargs="+", required=True, help="benchmark run ids")
    compare.add_argument("--baseline", metavar="RUN_ID", help="compare every model against this run, paired by prompt")
    compare.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    compare.add_argument("--fail-on-regression", action="store_true",
                         help=f"exit {EXIT_REGRESSION} when a model is worse than in --baseline beyond noise")
    compare.set_defaults(func=cmd_compare)
    return parser


def main(argv: list[str] | None = None, *, exit_quickly: bool = False) -> int:
    """Run one command. ``exit_quickly`` (the script's entry point only, never in-process callers) ends a
    command that only reads (``reads_only``) at once, skipping the native teardown (see ``_leave_now``)."""
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        code = func(args)
    except (CliError, EngineError, StoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    if exit_quickly and getattr(args, "reads_only", False):
        _leave_now(code)
    return code


def _leave_now(code: int) -> NoReturn:
    """End the process without interpreter teardown. Releasing Foundry Local's native manager (the SDK's
    ``atexit`` hook) takes 1.0 s whatever was done (measured: ``Manager_Release`` on foundry-local-sdk 2.2.1),
    two thirds of a ``models list``; a command that only read has nothing native to save, and the store's
    writes are already on disk (each is atomic), so the OS may reclaim the rest."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    from core.native_output import route_native_output
    from core.paths import data_dir

    route_native_output(data_dir() / "logs" / "native.log")  # Foundry Local's console lines, off the terminal
    sys.exit(main(exit_quickly=True))
