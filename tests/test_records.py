"""The store contract (``store/records.py``): what every step writes fits it, SCHEMA.md is generated
from it, writes outside it are refused, and no module spells a table name of its own.

The journey test writes through the real runner, probe, judge, manual grading, library and CLI,
against fake OpenAI-compatible servers on 127.0.0.1, then reads every stored document back
through its record: a field the code writes but the contract does not declare fails here.
"""

from __future__ import annotations

import ast
import csv
import io
import json
from pathlib import Path
from typing import get_args

import pytest

from cli import main
from core.benchmark.probe import run_probe
from core.benchmark.prompt_sets.saved import save_prompt_set
from core.benchmark.runner import create_run, execute_run
from core.benchmark.settings import BenchmarkSettings
from core.config import ModelSpec, PromptItem
from core.decide.decision import get_decision, list_decisions
from core.engines.base import ChatParams
from core.grading import export_annotation_csv, grading_items, import_annotation_csv, install_presets, record_grade
from core.grading.judge import start_judging
from core.grading.pairwise import start_pairwise
from core.grading.presets import HELPFULNESS
from core.grading.rubric import get_rubric
from core.jobs import list_jobs, list_runs
from core.models.sources import Sources, add_endpoint, list_endpoints
from core.models.specs import model_specs, save_model_specs
from core.paths import REPO_ROOT
from store import Store, queries
from store.records import (
    KIND_MEANINGS,
    RECORDS,
    STATUS_MEANINGS,
    ContractError,
    Decision,
    Job,
    JobKind,
    JobKinds,
    ModelInfo,
    ModelStatus,
    Run,
    RunKind,
    Table,
)
from store.schema_doc import SCHEMA_PATH, render
from tests.fake_openai_server import FakeOpenAIServer, Scenario
from tests.test_benchmark import _Control
from tests.test_grading_judge import _serve, _wait

PROMPTS = [{"id": "capital", "prompt": "What is the capital of France?", "reference": "Paris."},
           {"id": "haiku", "prompt": "Write a haiku about rain."}]


def test_schema_md_is_what_the_records_generate() -> None:
    committed = SCHEMA_PATH.read_text(encoding="utf-8")
    assert render(committed) == committed, "store/SCHEMA.md is stale: run `python -m store.schema_doc --write`"


def test_schema_md_documents_what_the_runner_writes() -> None:
    text = SCHEMA_PATH.read_text(encoding="utf-8")
    for field in ("`concurrency`", "`gpu_load_mb`", "`energy_j`", "`slo_pass_rate`", "`throughput_by_concurrency`",
                  "`partial`", "`decisions` (Decision)", "`endpoints` (Endpoint)"):
        assert field in text


def test_every_status_and_kind_has_a_meaning() -> None:
    assert set(STATUS_MEANINGS) == set(get_args(ModelStatus))
    assert set(KIND_MEANINGS) == set(get_args(RunKind))


def _everything_written(store: Store, store_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One of every document Pickwise writes, through the code that writes it."""
    save_model_specs(store, [ModelSpec(alias="a", source="a", model="fake-model", license="mit", size_mb=100.0)])
    save_prompt_set(store, "mine", [PromptItem(**p) for p in PROMPTS])
    with FakeOpenAIServer(Scenario(n_tokens=6)) as a, FakeOpenAIServer(Scenario(tokens=["Lyon, ", "I think."])) as b:
        add_endpoint(store, "a", a.base_url)
        add_endpoint(store, "b", b.base_url, "B_KEY")
        sources = Sources(store, None)
        run_probe(sources, store, "a:fake-model", "Hello?", ChatParams(max_output_tokens=8))
        settings = BenchmarkSettings(models=["a:fake-model", "b:fake-model"], prompts=PROMPTS, rounds=2, warmup=1,
                                     concurrency=[1, 2], slo={"ttft_s": 1.0}, timeout_s=5)
        run_id = create_run(store, settings)
        execute_run(store, run_id, _Control())
    install_presets(store)
    rubric = get_rubric(store, HELPFULNESS.name)
    assert rubric is not None
    with _serve(store):  # the scripted judge, as endpoint "judge"; its job writes `jobs` too
        job_id = start_judging(Sources(store, None), store, run_id, "judge:fake-model", rubric)
        assert _wait(store, job_id).state == "completed"
        job_id = start_pairwise(Sources(store, None), store, run_id, "judge:fake-model", rubric)
        # the scripted judge answers with scores, not a winner: its pairwise verdicts are stored unscored
        assert _wait(store, job_id).state == "incomplete"
    first = grading_items(store, run_id)[0]
    record_grade(store, run_id, first.item_id, "Ana", rubric, {"helpfulness": 4}, "fine")
    first_row = next(csv.DictReader(io.StringIO(export_annotation_csv(store, run_id, rubric))))
    sheet = io.StringIO()
    writer = csv.DictWriter(sheet, fieldnames=list(first_row))
    writer.writeheader()
    writer.writerow({**first_row, "helpfulness": "3"})
    assert import_annotation_csv(store, run_id, "Ben", rubric, sheet.getvalue()).stored == 1
    code = main(["--db", str(store_file), "decide", "--runs", run_id, "--quality", "judge:judge:fake-model",
                 "--override-unqualified", "a scripted judge with known verdicts", "--format", "json",
                 "--out", str(tmp_path / "decision.json")])
    assert code == 0, capsys.readouterr().err


def test_every_document_the_code_writes_fits_its_record(store: Store, store_file: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    _everything_written(store, store_file, tmp_path, capsys)
    store = Store(store_file)
    for record in RECORDS:
        docs = store.all(record.TABLE)
        assert docs, f"nothing written to {record.TABLE}: the journey should cover every table"
        for doc in docs:
            typed = record.read(doc)
            assert typed.unknown_fields() == [], f"{record.TABLE} holds fields its record does not declare"
            stored = {k: v for k, v in doc.items() if k != "_id"}
            assert typed.to_doc() == stored, f"{record.TABLE}: the record does not read back what was written"
    statuses = {m["status"] for run in store.all(Table.RUNS) for m in run["models"].values()}
    assert statuses <= set(get_args(ModelStatus))


def test_core_reads_return_records_so_a_misspelt_field_fails_loudly(store: Store, store_file: Path,
                                                                     tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """The public reads give typed records: ``run.finshed_at`` is an AttributeError, never a silent None."""
    _everything_written(store, store_file, tmp_path, capsys)
    runs = list_runs(store)
    assert runs and all(isinstance(r, Run) for r in runs)
    assert all(isinstance(j, Job) for j in list_jobs(store)) and list_jobs(store)
    [decision] = list_decisions(store)
    assert isinstance(decision, Decision) and get_decision(store, decision.decision_id) == decision
    assert all(isinstance(m, ModelInfo) for m in model_specs(store).values()) and model_specs(store)
    assert [e.name for e in list_endpoints(store)] == ["a", "b", "judge"]
    run = queries.get_run(store, runs[0].run_id)
    assert run is not None and run.finished_at is not None
    with pytest.raises(AttributeError):
        run.finshed_at  # noqa: B018  # the misspelling the dicts used to answer with None


def test_a_write_outside_the_contract_is_refused_and_nothing_is_stored(store: Store) -> None:
    good = {"run_id": "r1", "kind": "benchmark", "status": "queued", "created_at": "2026-03-01T10:00:00+00:00",
            "settings": {}, "environment": {}, "prompt_set": {"name": "s", "prompts": []},
            "models": {"a:m": {"status": "queued"}}}
    with pytest.raises(ContractError, match="no field speed"):
        queries.insert(store, Run.build({**good, "speed": 3}))
    with pytest.raises(ContractError, match=r"models\.a:m\.latency"):
        queries.insert(store, Run.build({**good, "models": {"a:m": {"status": "queued", "latency": 1}}}))
    with pytest.raises(ContractError, match="status"):
        Run.build({**good, "status": "finished"})
    assert store.count(Table.RUNS) == 0
    doc_id = queries.insert(store, Run.build(good))
    with pytest.raises(ContractError, match="status"):
        queries.update(store, Run, doc_id, {"status": "done"})
    with pytest.raises(ContractError, match="no field finshed_at"):
        queries.update(store, Run, doc_id, {"finshed_at": "now"})
    assert store.get(Table.RUNS, doc_id)["status"] == "queued"


def test_older_documents_read_and_keep_what_this_version_does_not_know(store: Store) -> None:
    """A run from before ``error``/``owner`` existed, with a field a later version added: it reads,
    the missing fields are unknown (None), and an update leaves the unknown field in the file."""
    doc_id = store.insert(Table.RUNS, {
        "run_id": "old", "kind": "benchmark", "status": "running", "created_at": "2025-01-01T00:00:00+00:00",
        "settings": {"rounds": 3}, "environment": {}, "prompt_set": {"name": "s", "prompts": []},
        "models": {"a:m": {"status": "running", "future_figure": 1.5}}, "from_the_future": True})
    run = queries.get_run(store, "old")
    assert run is not None and run.error is None and run.owner is None and run.doc_id == doc_id
    assert run.model_extra == {"from_the_future": True}
    queries.update(store, Run, doc_id, {"status": "interrupted"})
    assert store.get(Table.RUNS, doc_id)["from_the_future"] is True


STORE_METHODS = {"insert", "insert_many", "update", "update_where", "remove", "remove_where", "find", "all", "get",
                 "count", "count_by_run"}
TABLE_NAMES = {value for name, value in vars(Table).items() if name.isupper()}
JOB_KIND_NAMES = {value for name, value in vars(JobKinds).items() if name.isupper()}
JOB_CALLS = {"start_worker_job", "record_job", "list_jobs"}


def _python_files() -> list[Path]:
    """Every module outside the store that reads or writes it: core, the app, the CLI, the benchmarks, the tests."""
    folders = ("core", "components", "app_pages", "benchmarks", "tests")
    return [*(path for folder in folders for path in sorted((REPO_ROOT / folder).rglob("*.py"))),
            REPO_ROOT / "app.py", REPO_ROOT / "cli.py"]


def _is_store(node: ast.expr) -> bool:
    """``store``, ``self.store``, ``ctx.store``, ``Store(path)``: what a table name is passed to."""
    text = ast.unparse(node)
    return text.endswith("store") or (isinstance(node, ast.Call) and ast.unparse(node.func) == "Store")


def _kind_given(node: ast.Call) -> ast.expr | None:
    """The job kind a ``start_worker_job(store, KIND, ...)`` or ``list_jobs(store, kind=KIND)`` call names."""
    if ast.unparse(node.func).split(".")[-1] not in JOB_CALLS:
        return None
    keyword = next((k.value for k in node.keywords if k.arg == "kind"), None)
    return keyword or (node.args[1] if len(node.args) > 1 else None)


def _spelling_problems(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in STORE_METHODS \
                and _is_store(node.func.value) \
                and node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value in TABLE_NAMES:
            found.append((node.lineno, f"spells the table {node.args[0].value!r}: use store.records.Table"))
        if isinstance(node, ast.Call) and isinstance(kind := _kind_given(node), ast.Constant) \
                and kind.value in JOB_KIND_NAMES:
            found.append((node.lineno, f"spells the job kind {kind.value!r}: use store.records.JobKinds"))
        if isinstance(node, ast.Assign):
            values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
            if any((isinstance(v, ast.Constant) and v.value in TABLE_NAMES | JOB_KIND_NAMES)
                   or (isinstance(v, ast.Attribute) and ast.unparse(v.value) in ("Table", "JobKinds"))
                   for v in values):
                found.append((node.lineno, "defines its own name for a table or job kind: use store.records"))
    return sorted(found)


@pytest.mark.parametrize("path", _python_files(), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_table_names_are_spelled_only_in_the_records(path: Path) -> None:
    """No store call with a table name as a string, no job kind as a string, and no constant of one's
    own for either (``RUNS = Table.RUNS`` included): one spelling, in ``store.records``."""
    problems = _spelling_problems(ast.parse(path.read_text(encoding="utf-8")))
    assert not problems, "\n".join(f"{path.name}:{line} {what}" for line, what in problems)


def test_the_spelling_check_sees_each_way_of_spelling_a_name_twice() -> None:
    """The rule's own fixture: every form it forbids is caught, the records' own spelling is not."""
    bad = ("store.find('runs', run_id=x)\nStore(path).all('decisions')\nself.store.count('samples')\n"
           "RUNS, SAMPLES = Table.RUNS, Table.SAMPLES\nJUDGE_JOB = 'judge'\n"
           "start_worker_job(store, 'judge', params)\nlist_jobs(store, kind='download')\n")
    assert [line for line, _ in _spelling_problems(ast.parse(bad))] == [1, 2, 3, 4, 5, 6, 7]
    good = ("store.find(Table.RUNS)\nrun.get('models')\nstart_worker_job(store, JobKinds.JUDGE, params)\n"
            "kind = run.kind\n")
    assert _spelling_problems(ast.parse(good)) == []


def test_job_kinds_are_the_contract_s_job_kinds() -> None:
    assert set(get_args(JobKind)) == JOB_KIND_NAMES


def test_cli_decide_rejects_an_unknown_quality_source_in_one_line(capsys: pytest.CaptureFixture[str],
                                                                   store_file: Path, tmp_path: Path) -> None:
    code = main(["--db", str(store_file), "decide", "--runs", "r1", "--quality", "robots", "--format", "md",
                 "--out", str(tmp_path / "d.md")])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "use judge:SOURCE:MODEL_ID, people or none" in err
    assert not (tmp_path / "d.md").exists() and json.loads(store_file.read_text()).get("decisions") in (None, {})


def test_benchmark_runs_is_the_one_filter_for_evidence(store: Store) -> None:
    """Benchmark runs newest first, probes never; Decide's ``finished_only`` leaves out queued and running ones."""
    for run_id, kind, status, day in [("old", "benchmark", "completed", "01"), ("probe", "probe", "completed", "02"),
                                      ("queued", "benchmark", "queued", "03"), ("live", "benchmark", "running", "04"),
                                      ("new", "benchmark", "failed", "05")]:
        queries.insert(store, Run.build({"run_id": run_id, "kind": kind, "status": status,
                                         "created_at": f"2026-03-{day}T10:00:00+00:00", "settings": {},
                                         "environment": {}, "prompt_set": {"name": "s", "prompts": []}, "models": {}}))
    assert [r.run_id for r in queries.benchmark_runs(store)] == ["new", "live", "queued", "old"]
    assert [r.run_id for r in queries.benchmark_runs(store, finished_only=True)] == ["new", "old"]
