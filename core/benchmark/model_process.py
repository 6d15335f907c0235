"""One model measured in a process of its own: load, warm up, measure, unload, and report to the parent.

Run by ``core.benchmark.isolation`` as ``python -m core.benchmark.model_process --db FILE --run RUN_ID
--ref SOURCE:MODEL_ID --fd N``; it reports on file descriptor N (the protocol is in ``isolation``). The
child reads the run's settings from the store and opens the model's source itself (Foundry Local
in this process, or the stored endpoint, its key from the inherited environment); it writes nothing
to the store: the parent stores every sample it reports.

A variant not on this machine yet (an engine with ``is_cached``, i.e. Foundry Local) is downloaded first,
with progress and cancel; a failed download fails that model only. The model's family (``model_family``)
goes with its load record.

Memory is this process's: resident memory before loading (the interpreter and the engine runtime),
after loading, and the peak while answering, so "added" is the model's and nothing else's. The GPU's
(NVML, ``core.benchmark.gpu``) is the device's: memory added at load and at its peak, utilisation and
energy while answering, and the check that a GPU variant did not quietly run on the CPU.

Test hook (never set by the product): ``PICKWISE_TEST_ENGINE=module:factory`` names a function returning
an engine; a model whose source is that engine's ``source`` is served by it. It is read here only, in the
child, so a test can make a real run's engine crash the way a native one does (``tests/aborting_engine.py``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from typing import IO, Any

from core.benchmark.gpu import GpuSampler, fallback_verdict, is_gpu_variant, memory_reading
from core.benchmark.meters import (
    ENDPOINT_MEMORY_NOTE,
    EnergyMeter,
    PeakRssSampler,
    gpu_memory_used_mb,
    memory_note,
    release_freed_memory,
    rss_mb,
)
from core.benchmark.metrics import SampleMeter, SampleTiming
from core.benchmark.settings import BenchmarkSettings
from core.engines.base import Engine, EngineError
from core.engines.session import MAX_CONSECUTIVE_FAILURES, FailureStreak, LoadedModel
from core.jobs import utc_now
from core.models.fit import estimate_model
from core.refs import FOUNDRY_SOURCE, parse_ref
from store import Store, open_store, queries
from store.records import Sample

TEST_ENGINE_ENV = "PICKWISE_TEST_ENGINE"
CANCELLED = "cancelled"  # the reason ``_ModelRunner.run_all`` gives when cancel stopped it

_PlanItem = tuple[int, dict[str, Any], bool]  # (round, prompt, warm-up?)


class _Reporter:
    """Writes the child's reports to the parent, one JSON line each, at once (a crash must not lose one)."""

    def __init__(self, pipe: IO[str]) -> None:
        self._pipe = pipe

    def send(self, event: str, **fields: Any) -> None:
        self._pipe.write(json.dumps({"event": event, **fields}, default=str) + "\n")
        self._pipe.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for flag in ("--db", "--run", "--ref"):
        parser.add_argument(flag, required=True)
    parser.add_argument("--fd", type=int, required=True)
    args = parser.parse_args(argv)
    cancel = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: cancel.set())
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it forwards SIGTERM
    with os.fdopen(args.fd, "w", encoding="utf-8") as pipe:
        report = _Reporter(pipe)
        report.send("started")
        try:
            record = measure_model(open_store(args.db), args.run, args.ref, cancel, report)
        except Exception as exc:  # reported as the model's failure; the run goes on
            record = {"error": f"the engine process failed: {type(exc).__name__}: {exc}"}
        report.send("done", record=record)
    return 0


def _engine_for(store: Store, ref: str) -> tuple[Engine, str]:
    """The engine serving ``ref`` in this process (see the module docstring for the test hook)."""
    from core.models.sources import Sources

    parsed = parse_ref(ref)
    hook = os.environ.get(TEST_ENGINE_ENV)
    if hook:
        module, _, factory = hook.partition(":")
        engine = getattr(importlib.import_module(module), factory)()
        if engine.source == parsed.source:
            return engine, parsed.model_id
    foundry = None
    if parsed.source == FOUNDRY_SOURCE:
        from core.engines.foundry_local import FoundryLocalEngine

        foundry = FoundryLocalEngine()  # no public-catalog fetch in the background while measuring
    return Sources(store, foundry).resolve(parsed)


def measure_model(store: Store, run_id: str, ref: str, cancel: threading.Event, report: _Reporter) -> dict[str, Any]:
    """Load, warm up, measure and unload ``ref``; report as it goes; return the ``done`` record.

    ``skipped`` in the record: the model never answered (unknown source, failed to load)."""
    run = queries.get_run(store, run_id)
    if run is None:
        raise ValueError(f"No run {run_id!r} in the store.")
    settings = BenchmarkSettings(**run.settings)
    try:
        engine, model_id = _engine_for(store, ref)
    except EngineError as exc:
        return {"skipped": True, "error": str(exc)}
    family = model_family(store, engine, ref, model_id)
    if (failure := _download_if_missing(engine, model_id, cancel, report)) is not None:
        return {"skipped": True, "error": failure, "family": family}
    in_process = bool(getattr(engine, "runs_in_process", False))
    rss_before, gpu_memory = rss_mb(), memory_reading()
    gpu_before = gpu_memory.used_mb if gpu_memory else None
    # will it fit, made before loading and stored beside the measured peak; a GPU variant against the GPU's memory
    fit = estimate_model(engine, model_id, prompts=[p["prompt"] for p in settings.prompts],
                         on_gpu=is_gpu_variant(None, model_id),
                         gpu_free_mb=gpu_memory.free_mb if gpu_memory else None)
    try:
        session = LoadedModel.open(engine, model_id)
    except EngineError as exc:
        return {"skipped": True, "error": f"failed to load: {exc}"}
    loaded = {**_load_record(engine, model_id, session, in_process, rss_before, gpu_before),
              **(fit.as_record() if fit else {}), "family": family}
    report.send("loaded", record=loaded)
    runner = _ModelRunner(engine, model_id, ref, run_id, settings, cancel.is_set,
                          lambda sample: report.send("sample", sample=sample))
    energy = EnergyMeter()
    energy.start()
    try:
        with PeakRssSampler() as peak, GpuSampler(gpu_before) as gpu_seen:
            failure = runner.run_all()
        joules = energy.stop()  # before unloading: what unloading costs is not the answers' energy
    finally:
        session.close()
    return {
        "error": failure,
        "rss_peak_mb": peak.peak_mb - rss_before if in_process else None,
        "energy_j": joules,
        "throughput_by_concurrency": runner.throughput,
        "unload_error": session.unload_error,
        "gpu": _gpu_record(loaded, model_id, gpu_seen),
    }


def model_family(store: Store, engine: Engine, ref: str, model_id: str) -> str | None:
    """The family ``ref`` belongs to, recorded with its results: what its engine says (Foundry Local: the
    alias of this variant), else the user's family tag (``core.models.specs.family_tags``), else None."""
    from core.models.specs import family_tags

    family = getattr(engine, "family", None)
    try:
        listed = family(model_id) if family else None
    except EngineError:  # an unknown model: loading it fails and says why
        listed = None
    return listed or family_tags(store).get(ref)


def _download_if_missing(engine: Engine, model_id: str, cancel: threading.Event, report: _Reporter) -> str | None:
    """Download a variant not on this machine yet, reporting ``download`` events (whole percents) as it
    goes; returns why it could not be downloaded (a cancel included), or None. Engines without
    ``is_cached`` have nothing to download."""
    is_cached = getattr(engine, "is_cached", None)
    try:
        if is_cached is None or is_cached(model_id):
            return None
    except EngineError:  # an unknown model: loading it fails and says why
        return None
    last: list[int] = []

    def progress(percent: float) -> None:
        if not last or int(percent) != last[-1]:
            last[:] = [int(percent)]
            report.send("download", model=model_id, percent=float(percent))

    try:
        engine.prepare(model_id, progress, cancel)
    except EngineError as exc:
        return str(exc)
    return None


def _load_record(engine: Engine, model_id: str, session: LoadedModel, in_process: bool, rss_before: float,
                 gpu_before: float | None) -> dict[str, Any]:
    """What loading cost: time, device, this process's memory before and after, the context it sizes."""
    loaded = session.loaded
    gpu_after = gpu_memory_used_mb()
    rss_added = rss_mb() - rss_before if in_process and not loaded.already_loaded else None
    disk_mb = _ask(engine, "disk_mb", model_id)
    record: dict[str, Any] = {
        "load_s": None if loaded.already_loaded else loaded.seconds,
        "already_loaded": loaded.already_loaded,
        "device": loaded.device,
        "execution_provider": loaded.execution_provider,
        "rss_before_mb": rss_before if in_process else None,
        "rss_load_mb": rss_added,
        "gpu_load_mb": None if gpu_before is None or gpu_after is None else gpu_after - gpu_before,
        "disk_mb": disk_mb,
        "license": _ask(engine, "license_of", model_id),
        "engine": _engine_description(engine),
        "memory_note": ENDPOINT_MEMORY_NOTE,
    }
    if in_process:
        context = getattr(engine, "context_facts", None)
        facts = context(model_id) if context else None
        length, kv_mb = (facts.context_length, facts.kv_cache_mb) if facts else (None, None)
        record.update({"context_length": length, "kv_cache_mb": kv_mb,
                       "memory_note": memory_note(rss_added, kv_mb, length, disk_mb)})
    return record


def _gpu_record(loaded: dict[str, Any], model_id: str, seen: GpuSampler) -> dict[str, Any]:
    """What the GPU saw while the model answered (NVML), and whether a GPU variant really ran on the GPU."""
    figures = seen.figures()
    verdict = fallback_verdict(loaded["device"], loaded["execution_provider"], model_id, load_mb=loaded["gpu_load_mb"],
                               peak_mb=figures["gpu_peak_mb"], utilisation_max_pct=figures["gpu_util_max_pct"])
    return {**figures, "gpu_fallback_suspected": verdict.fell_back, "gpu_fallback_note": verdict.note}


def _engine_description(engine: Engine) -> str:
    """Which engine served the model, e.g. ``foundry-local (in-process)`` or ``my-ollama at http://…/v1``."""
    base_url = getattr(engine, "base_url", None)
    return f"{engine.source} at {base_url}" if base_url else f"{engine.source} (in-process)"


def _ask(engine: Engine, method: str, model_id: str) -> Any:
    """An optional engine method's answer about the model: ``disk_mb`` (its files on disk) or ``license_of`` (the
    license Foundry Local's catalog lists, kept on the run entry so Decide has it without anyone retyping it).
    ``None`` when the engine has no such method (an OpenAI-compatible endpoint) or it fails: unknown, never a
    reason to stop the run."""
    answer = getattr(engine, method, None)
    if answer is None:
        return None
    try:
        return answer(model_id)
    except EngineError:
        return None


class _ModelRunner:
    """The request loop for one loaded model: warm-up, then rounds at each concurrency level.

    ``cancelled`` is polled between requests (between waves above concurrency 1); every finished
    request goes to ``on_sample`` at once."""

    def __init__(self, engine: Engine, model_id: str, ref: str, run_id: str, settings: BenchmarkSettings,
                 cancelled: Callable[[], bool], on_sample: Callable[[dict], None]) -> None:
        self.engine, self.model_id, self.ref, self.run_id = engine, model_id, ref, run_id
        self.settings, self.cancelled, self.on_sample = settings, cancelled, on_sample
        self.params = settings.chat_params()
        self.in_process = bool(getattr(engine, "runs_in_process", False))
        self.throughput: dict[str, float | None] = {}
        self._failures = FailureStreak()
        self._produced = 0  # output tokens of the successful requests so far

    def run_all(self) -> str | None:
        """Returns the reason the model stopped early, or None.

        Plans are generators: a run may hold up to ``MAX_TOTAL_REQUESTS`` requests, and only the
        ones in flight should ever be in memory."""
        prompts = self.settings.prompts
        warmup = ((-w - 1, p, True) for w in range(self.settings.warmup) for p in prompts)
        if (stop := self._run_batch(warmup, 1)) is not None:
            return stop
        for level in self.settings.concurrency:
            plan = ((r, p, False) for r in range(self.settings.rounds) for p in prompts)
            started = time.perf_counter()
            before = self._produced
            if (stop := self._run_batch(plan, level)) is not None:
                return stop
            wall = time.perf_counter() - started
            self.throughput[str(level)] = (self._produced - before) / wall if wall > 0 else None
        return None

    def _run_batch(self, plan: Iterator[_PlanItem], level: int) -> str | None:
        if level == 1:
            for item in plan:
                if self.cancelled():
                    return CANCELLED
                if (stop := self._record(self._request(*item, level))) is not None:
                    return stop
                self._between_requests()
            return None
        with ThreadPoolExecutor(max_workers=level, thread_name_prefix="pickwise-req") as pool:
            while wave_items := list(islice(plan, level)):
                if self.cancelled():
                    return CANCELLED
                wave = [pool.submit(self._request, *item, level) for item in wave_items]
                for future in wave:
                    if (stop := self._record(future.result())) is not None:
                        return stop
                self._between_requests()
        return None

    def _between_requests(self) -> None:
        """A model running in this process hands its freed memory back (``meters.release_freed_memory``), so
        its peak is what a request needs; an endpoint's memory is not this process's."""
        if self.in_process:
            release_freed_memory()

    def _request(self, round_no: int, prompt: dict, warmup: bool, level: int) -> tuple[dict, Exception | None]:
        messages = [{"role": "user", "content": prompt["prompt"]}]
        error: Exception | None = None
        t_send = time.perf_counter()
        meter = SampleMeter(t_send)
        try:
            for event in self.engine.stream_chat(self.model_id, messages, self.params):
                meter.add(event)
        except EngineError as exc:
            error = exc
        timing: SampleTiming = meter.result()
        sample = Sample.build({
            "run_id": self.run_id, "model_ref": self.ref, "prompt_id": prompt["id"], "round": round_no,
            "warmup": warmup, "concurrency": level, "error": str(error) if error else None,
            "created_at": utc_now(), **timing.as_dict(),
        }).to_doc()
        return sample, error

    def _record(self, result: tuple[dict, Exception | None]) -> str | None:
        sample, error = result
        if not error:
            self._produced += sample.get("completion_tokens") or 0
        self.on_sample(sample)
        if self._failures.record(error):
            return f"stopped after {MAX_CONSECUTIVE_FAILURES} consecutive failures: {error}"
        return None


if __name__ == "__main__":
    raise SystemExit(main())
