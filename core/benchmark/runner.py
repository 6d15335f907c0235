"""The benchmark runner: models × prompts × rounds, measured, stored as it goes.

The run record (``runs`` table) and its samples (``samples`` table) are the contract with the pages:
the runner only writes them, the pages only read them (see ``store/SCHEMA.md``). Each model is measured
in a fresh child process (``core.benchmark.isolation``, ``core.benchmark.model_process``): its memory is
its own, and a native crash of its engine fails that model only. A model that fails to load, times out,
errors or crashes is marked with its reason and the run moves on; cancel is forwarded to the child,
which stops after the request in flight; the child reports every sample as it finishes and this process
stores them in small batches, so a crashed child loses only its request in flight and a killed run keeps
what it stored.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from core.benchmark.environment import machine_environment
from core.benchmark.isolation import run_model_child
from core.benchmark.metrics import summarize_samples
from core.benchmark.model_process import CANCELLED
from core.benchmark.settings import BenchmarkSettings
from core.benchmark.slo import goodput
from core.jobs import JobContext, utc_now
from core.models.sources import Sources
from core.ownership import holding, owner_record
from core.workers.spawn import start_worker_job
from store import BatchWriter, Store, StoreError, queries
from store.records import JobKinds, Run, Table

log = logging.getLogger(__name__)

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


def execute_run(store: Store, run_id: str, control: Control) -> Run:
    """Run every model of a stored run, each in a fresh child process; return the final run record.

    Never raises for a model's failure, a crash of its engine included (``core.benchmark.isolation``).
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
            _run_models(store, run, models, control)
        except KeyboardInterrupt:
            _end_early(store, run.stored_id, models, "interrupted", "aborted from the keyboard")
            raise
        except Exception as exc:
            _end_early(store, run.stored_id, models, "failed", str(exc) or type(exc).__name__)
            raise
    final = queries.get_run(store, run_id)
    assert final is not None  # runs are never removed
    return final


def _run_models(store: Store, run: Run, models: dict[str, dict], control: Control) -> None:
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
        models[ref] = _bench_model(store, settings, run.run_id, ref, writer, cursor, control, publish)
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


#: Seconds a child may take, past the request timeout, to end after cancel was forwarded; then it is killed.
CANCEL_GRACE_S = 10.0


def _bench_model(
    store: Store, settings: BenchmarkSettings, run_id: str, ref: str,
    writer: BatchWriter, cursor: _Cursor, control: Control, publish: Callable[[dict], None],
) -> dict:
    """Measure one model in its own child process; its record says what happened and why.

    The child's reports are relayed as they come: ``publish`` shows the record once the model is
    loaded (so the page knows the device mid-run), every sample is stored and advances the progress.
    A child that crashed leaves its model ``failed`` with the signal named, its finished samples kept."""
    record: dict[str, Any] = {"status": "running", "error": None}
    cursor_at_start = cursor.done
    samples: list[dict] = []
    control.progress(cursor.done, cursor.total, f"{ref}: loading")

    def relay(message: dict) -> None:
        if message["event"] == "loaded":
            record.update(message["record"])
            publish(record)
        elif message["event"] == "download":
            control.progress(cursor.done, cursor.total, f"downloading {message['model']}: {message['percent']:.0f}%",
                             force=message["percent"] >= 100)
        elif message["event"] == "sample":
            sample = message["sample"]
            samples.append(sample)
            writer.add(sample)
            phase = "warm-up" if sample["warmup"] else f"round {sample['round'] + 1}"
            cursor.advance(control, f"{ref} · {sample['prompt_id']} · {phase}")

    ended = run_model_child(store.path, run_id, ref, on_event=relay, cancelled=lambda: control.cancelled,
                            grace_s=settings.timeout_s + CANCEL_GRACE_S)
    done = ended.done or {}
    if done.get("skipped"):
        return _skip(record | {"family": done.get("family")}, done["error"], settings, cursor, control, ref)
    failure = ended.crash or done.get("error")
    if failure and not control.cancelled:  # requests not sent still count as handled for progress/ETA
        cursor.done = cursor_at_start + _requests_per_model(settings)
    if done.get("unload_error"):
        record["unload_error"] = done["unload_error"]
    record.update(done.get("gpu") or {})  # NVML figures and the CPU-fallback verdict (core.benchmark.gpu)
    peak = done.get("rss_peak_mb")
    record.update(model_figures(samples, settings, peak is not None, peak or 0.0, done.get("energy_j")))
    record["throughput_by_concurrency"] = done.get("throughput_by_concurrency", {})
    record["error"] = None if failure == CANCELLED else failure
    record["status"] = _model_status(ended.crash, control.cancelled, failure, record["summary"]["n_counted"])
    return record


def _model_status(crash: str | None, cancelled: bool, failure: str | None, counted: int) -> str:
    """A crash fails the model whatever it finished; a cancel is a cancel, even after counted samples."""
    if crash:
        return "failed"
    if cancelled:
        return "cancelled"
    if counted:
        return "partial" if failure else "completed"
    return "failed"


def _skip(record: dict, reason: str, settings: BenchmarkSettings, cursor: _Cursor, control: Control,
          ref: str) -> dict:
    """A model that cannot run (or whose download was cancelled): record why and move the progress past its
    requests."""
    cursor.done += _requests_per_model(settings)
    control.progress(cursor.done, cursor.total, f"{ref}: skipped ({reason})", force=True)
    record.update({"status": "cancelled" if control.cancelled else "failed", "error": reason})
    return record


def _requests_per_model(settings: BenchmarkSettings) -> int:
    return settings.total_requests() // len(settings.models)


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


def start_benchmark(sources: Sources, store: Store, settings: BenchmarkSettings) -> tuple[str, str]:
    """Record the run and execute it in a worker process (``benchmark_job``); returns ``(run_id, job_id)`` at once.

    ``sources`` resolves the API keys of the endpoints the run calls, handed to the worker's environment."""
    run_id = create_run(store, settings)
    job_id = start_worker_job(store, JobKinds.BENCHMARK, {"run_id": run_id}, run_id=run_id,
                              label=f"Benchmark {run_id}", keys=sources.key_environment(settings.models))
    return run_id, job_id


def benchmark_job(store: Store, params: dict[str, Any], ctx: JobContext) -> str:
    """A worker's benchmark job (``params``: ``{run_id}``): the same ``execute_run`` as ``cli.py bench`` (each model
    in its own child process, which starts Foundry Local only for one of its models)."""
    run_id = params["run_id"]
    final = execute_run(store, run_id, ctx)  # records its own failure on the run
    ok = sum(1 for m in final.models.values() if queries.produced_results(m))
    return f"Run {run_id} {final.status}: {ok} of {len(final.models)} models produced results."
