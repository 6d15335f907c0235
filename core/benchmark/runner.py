"""The benchmark runner: models × prompts × rounds, measured, stored as it goes.

The run record (``runs`` table) and its samples (``samples`` table) are the contract with the pages:
the runner only writes them, the pages only read them (see ``store/SCHEMA.md``). A model that fails
to load, times out or errors is marked with its reason and the run moves on; cancel is checked
between requests; samples are flushed in small batches so a killed run keeps what it finished.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from itertools import islice
from typing import Any, Protocol

from core.benchmark.environment import machine_environment
from core.benchmark.meters import EnergyMeter, PeakRssSampler, gpu_memory_used_mb, rss_mb
from core.benchmark.metrics import SampleMeter, SampleTiming, summarize_samples
from core.benchmark.settings import BenchmarkSettings
from core.benchmark.slo import goodput
from core.engines.base import Engine, EngineError
from core.engines.session import MAX_CONSECUTIVE_FAILURES, FailureStreak, LoadedModel
from core.jobs import JobContext, utc_now
from core.models.sources import Sources, local_sources
from core.ownership import holding, owner_record
from core.workers.spawn import start_worker_job
from store import BatchWriter, Store, StoreError, queries
from store.records import JobKinds, Run, Sample, Table

log = logging.getLogger(__name__)

_PlanItem = tuple[int, dict[str, Any], bool]  # (round, prompt, warm-up?)


class Control(Protocol):
    """How a runner reports progress and learns it should stop (a ``JobContext`` or the CLI's bar)."""

    @property
    def cancelled(self) -> bool: ...

    def progress(self, done: float, total: float | None, message: str = "", *, force: bool = False) -> None: ...


def create_run(store: Store, settings: BenchmarkSettings) -> str:
    """Record a queued run and return its id (the job that executes it is started separately).

    The run records this process as its ``owner``: if it dies before the run starts, the next
    listing marks the run interrupted instead of leaving it queued forever."""
    settings.validate()
    run_id = uuid.uuid4().hex[:12]
    queries.insert(store, Run.build({
        "run_id": run_id,
        "kind": "benchmark",
        "status": "queued",
        "created_at": utc_now(),
        "started_at": None,
        "finished_at": None,
        "error": None,
        "owner": owner_record(),
        "settings": asdict(settings),
        "environment": machine_environment(),
        "prompt_set": {"name": settings.prompt_set_name, "prompts": settings.prompts},
        "models": {ref: {"status": "queued"} for ref in settings.models},
    }))
    return run_id


@dataclass
class _Cursor:
    """Where the run is, for progress messages and the ETA."""

    total: int
    done: int = 0
    started: float = field(default_factory=time.monotonic)

    def advance(self, control: Control, message: str) -> None:
        self.done += 1
        control.progress(self.done, self.total, message)


def execute_run(sources: Sources, store: Store, run_id: str, control: Control) -> Run:
    """Run every model of a stored run; return the final run record. Never raises for a model's failure.

    Anything else that stops the run (the store cannot save its samples, a bug, an abort from the
    keyboard) ends it as ``failed`` (``interrupted`` for the abort) with the reason in ``error``,
    then propagates. If even that cannot be saved, the run's ``owner`` (this process, which no longer
    holds the run) lets the next listing mark it interrupted: it never stays ``running``.
    """
    run = queries.get_run(store, run_id)
    if run is None:
        raise ValueError(f"No run {run_id!r} in the store.")
    models = {ref: m.as_dict() for ref, m in run.models.items()}
    with holding(run_id):
        try:
            queries.update(store, Run, run.stored_id, {"status": "running", "started_at": utc_now(),
                                                       "owner": owner_record()})
            _run_models(sources, store, run, models, control)
        except KeyboardInterrupt:
            _end_early(store, run.stored_id, models, "interrupted", "aborted from the keyboard")
            raise
        except Exception as exc:
            _end_early(store, run.stored_id, models, "failed", str(exc) or type(exc).__name__)
            raise
    final = queries.get_run(store, run_id)
    assert final is not None  # runs are never removed
    return final


def _run_models(sources: Sources, store: Store, run: Run, models: dict[str, dict], control: Control) -> None:
    """The run proper: each model in turn, its entry (a ``ModelResult`` as a dict, built as it goes) kept
    current in ``models`` and in the store."""
    settings = BenchmarkSettings(**run.settings)
    cursor = _Cursor(total=settings.total_requests())
    writer = BatchWriter(store, Table.SAMPLES)
    for ref in settings.models:
        if control.cancelled:
            models[ref] = {"status": "cancelled"}
            continue
        def publish(record: dict, ref: str = ref) -> None:
            models[ref] = dict(record)
            queries.update(store, Run, run.stored_id, {"models": models})

        publish({"status": "running"})
        models[ref] = _bench_model(sources, settings, run.run_id, ref, writer, cursor, control, publish)
        writer.flush()
        queries.update(store, Run, run.stored_id, {"models": models})
    status = "cancelled" if control.cancelled else "completed"
    queries.update(store, Run, run.stored_id, {"status": status, "finished_at": utc_now(), "models": models})
    control.progress(cursor.done, cursor.total, f"run {status}", force=True)


def _end_early(store: Store, doc_id: int, models: dict[str, dict], status: str, reason: str) -> None:
    """Record why the run stopped, and mark the models it had not finished the same way."""
    unfinished = {ref: {**m, "status": status} if m["status"] in ("queued", "running") else m
                  for ref, m in models.items()}
    try:
        queries.update(store, Run, doc_id, {"status": status, "error": reason, "finished_at": utc_now(),
                                            "models": unfinished})
    except StoreError as exc:  # the owner check turns it into "interrupted" once the store is writable
        log.error("Run %s stopped (%s), but that could not be saved: %s", doc_id, reason, exc)


def _bench_model(
    sources: Sources, settings: BenchmarkSettings, run_id: str, ref: str,
    writer: BatchWriter, cursor: _Cursor, control: Control, publish: Callable[[dict], None],
) -> dict:
    """Load, warm up, measure and unload one model; its record says what happened and why.

    ``publish`` shows the record once the model is loaded, so the page knows the device mid-run."""
    record: dict[str, Any] = {"status": "running", "error": None}
    cursor_at_start = cursor.done
    try:
        engine, model_id = sources.resolve(ref)
    except EngineError as exc:
        return _skip(record, str(exc), settings, cursor, control, ref)
    in_process = bool(getattr(engine, "runs_in_process", False))
    rss_before, gpu_before = rss_mb(), gpu_memory_used_mb()
    control.progress(cursor.done, cursor.total, f"{ref}: loading")
    try:
        session = LoadedModel.open(engine, model_id)
    except EngineError as exc:
        return _skip(record, f"failed to load: {exc}", settings, cursor, control, ref)
    loaded = session.loaded
    gpu_after = gpu_memory_used_mb()
    record.update({
        "load_s": None if loaded.already_loaded else loaded.seconds,
        "already_loaded": loaded.already_loaded,
        "device": loaded.device,
        "execution_provider": loaded.execution_provider,
        "rss_load_mb": rss_mb() - rss_before if in_process and not loaded.already_loaded else None,
        "gpu_load_mb": None if gpu_before is None or gpu_after is None else gpu_after - gpu_before,
        "disk_mb": _disk_mb(engine, model_id),
    })
    record["gpu_fallback_suspected"] = loaded.device == "GPU" and not (record["gpu_load_mb"] or 0) > 0
    record["engine"] = _engine_description(engine)
    publish(record)
    runner = _ModelRunner(engine, model_id, ref, run_id, settings, writer, cursor, control)
    energy = EnergyMeter()
    energy.start()
    try:
        with PeakRssSampler() as peak:
            failure = runner.run_all()
        joules = energy.stop()  # before unloading: what unloading costs is not the answers' energy
    finally:
        session.close()
    if failure and not control.cancelled:  # requests not sent still count as handled for progress/ETA
        cursor.done = cursor_at_start + _requests_per_model(settings)
    if session.unload_error:
        record["unload_error"] = session.unload_error
    samples = runner.samples
    record.update(model_figures(samples, settings, in_process, peak.peak_mb - rss_before, joules))
    record["throughput_by_concurrency"] = runner.throughput
    record["error"] = failure
    counted = record["summary"]["n_counted"]
    record["status"] = "cancelled" if control.cancelled else ("completed" if counted else "failed")
    if failure and counted:
        record["status"] = "partial"
    return record


def _skip(record: dict, reason: str, settings: BenchmarkSettings, cursor: _Cursor, control: Control,
          ref: str) -> dict:
    """A model that cannot run: record why and move the progress past its requests."""
    cursor.done += _requests_per_model(settings)
    control.progress(cursor.done, cursor.total, f"{ref}: skipped ({reason})", force=True)
    record.update({"status": "failed", "error": reason})
    return record


def _engine_description(engine: Engine) -> str:
    """Which engine served the model, e.g. ``foundry-local (in-process)`` or ``my-ollama at http://…/v1``."""
    base_url = getattr(engine, "base_url", None)
    return f"{engine.source} at {base_url}" if base_url else f"{engine.source} (in-process)"


def _requests_per_model(settings: BenchmarkSettings) -> int:
    return settings.total_requests() // len(settings.models)


def _disk_mb(engine: Engine, model_id: str) -> float | None:
    disk = getattr(engine, "disk_mb", None)
    if disk is None:
        return None
    try:
        return disk(model_id)
    except EngineError:
        return None


def model_figures(samples: list[dict], settings: BenchmarkSettings, in_process: bool,
                   peak_added_mb: float, joules: float | None) -> dict:
    """Summary over the concurrency-1 samples (or the lowest level run), first-request time, SLOs, energy.

    Goodput and the per-target pass rates count every request sent at that level (warm-ups excepted),
    failed ones as misses (``core.benchmark.slo``)."""
    level = min(settings.concurrency)
    primary = [s for s in samples if s.get("concurrency", 1) == level]
    summary = summarize_samples(primary, seed=settings.seed or 0)
    met = goodput(primary, settings.slo)
    out_tokens = sum(s.get("completion_tokens") or 0 for s in samples if not s.get("error"))
    first = samples[0] if samples else None
    return {
        "summary": summary,
        "first_request_s": first.get("e2e_s") if first and not first.get("error") else None,
        "rss_peak_mb": peak_added_mb if in_process else None,
        "slo_pass_rate": met["per_metric"] if met else {},
        "goodput": met["share"] if met else None,
        "goodput_met": met["met"] if met else None,
        "goodput_n": met["n"] if met else None,
        "energy_j": joules,
        "energy_j_per_token": joules / out_tokens if joules is not None and out_tokens else None,
    }


class _ModelRunner:
    """The request loop for one loaded model: warm-up, then rounds at each concurrency level."""

    def __init__(self, engine: Engine, model_id: str, ref: str, run_id: str, settings: BenchmarkSettings,
                 writer: BatchWriter, cursor: _Cursor, control: Control) -> None:
        self.engine, self.model_id, self.ref, self.run_id = engine, model_id, ref, run_id
        self.settings, self.writer, self.cursor, self.control = settings, writer, cursor, control
        self.params = settings.chat_params()
        self.samples: list[dict] = []
        self.throughput: dict[str, float | None] = {}
        self._failures = FailureStreak()

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
            before = len(self.samples)
            if (stop := self._run_batch(plan, level)) is not None:
                return stop
            produced = sum(s.get("completion_tokens") or 0 for s in self.samples[before:] if not s.get("error"))
            wall = time.perf_counter() - started
            self.throughput[str(level)] = produced / wall if wall > 0 else None
        return None

    def _run_batch(self, plan: Iterator[_PlanItem], level: int) -> str | None:
        if level == 1:
            for item in plan:
                if self.control.cancelled:
                    return "cancelled"
                if (stop := self._record(self._request(*item, level))) is not None:
                    return stop
            return None
        with ThreadPoolExecutor(max_workers=level, thread_name_prefix="pickwise-req") as pool:
            while wave_items := list(islice(plan, level)):
                if self.control.cancelled:
                    return "cancelled"
                wave = [pool.submit(self._request, *item, level) for item in wave_items]
                for future in wave:
                    if (stop := self._record(future.result())) is not None:
                        return stop
        return None

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
        self.samples.append(sample)
        self.writer.add(sample)
        phase = "warm-up" if sample["warmup"] else f"round {sample['round'] + 1}"
        self.cursor.advance(self.control, f"{self.ref} · {sample['prompt_id']} · {phase}")
        if self._failures.record(error):
            return f"stopped after {MAX_CONSECUTIVE_FAILURES} consecutive failures: {error}"
        return None



def start_benchmark(sources: Sources, store: Store, settings: BenchmarkSettings) -> tuple[str, str]:
    """Record the run and execute it in a worker process (``benchmark_job``); returns ``(run_id, job_id)`` at once.

    ``sources`` resolves the API keys of the endpoints the run calls, handed to the worker's environment."""
    run_id = create_run(store, settings)
    job_id = start_worker_job(store, JobKinds.BENCHMARK, {"run_id": run_id}, run_id=run_id,
                              label=f"Benchmark {run_id}", keys=sources.key_environment(settings.models))
    return run_id, job_id


def benchmark_job(store: Store, params: dict[str, Any], ctx: JobContext) -> str:
    """A worker's benchmark job (``params``: ``{run_id}``): the same ``execute_run`` as ``cli.py bench``, with this
    process's own sources (Foundry Local starts only if the run has one of its models)."""
    run_id = params["run_id"]
    final = execute_run(local_sources(store), store, run_id, ctx)  # records its own failure on the run
    ok = sum(1 for m in final.models.values() if queries.produced_results(m))
    return f"Run {run_id} {final.status}: {ok} of {len(final.models)} models produced results."
