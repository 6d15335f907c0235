"""The quick check: one prompt to one model, timed, stored as a one-sample ``probe`` run.

This is the seed's "run and quick check" and its validation step (every target model appears
and answers a probe), with the same timing maths as a benchmark so the figures agree. From the app it
runs as a ``probe`` job (``probe_job``), with its own timeout and a Cancel that returns at once.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any

from core import limits
from core.benchmark.environment import machine_environment
from core.benchmark.metrics import SampleTiming, measure
from core.engines.base import ChatParams, EngineError
from core.jobs import JobContext, utc_now
from core.models.sources import Sources, local_sources
from core.ownership import holding, owner_record
from core.refs import parse_ref
from core.workers.spawn import start_worker_job
from store import Store, queries
from store.records import JobKinds, Run, Sample

_POLL_S = 0.1  # how soon a Cancel is seen while the request is out


@dataclass
class ProbeResult:
    run_id: str
    model_ref: str
    timing: SampleTiming | None
    load_s: float | None
    device: str | None
    execution_provider: str | None
    error: str | None
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


def run_probe(
    sources: Sources, store: Store, model_ref: str, prompt: str, params: ChatParams | None = None, *,
    run_id: str | None = None, cancelled: Callable[[], bool] = lambda: False,
) -> ProbeResult:
    """Load (if needed), ask, measure, store. Failures come back in ``error``, not as exceptions.

    The run is stored ``running`` first, so a page can show it; the request goes out on its own thread
    and this one waits for it or for ``cancelled()``: a Cancel ends the probe at once, whatever the
    endpoint does (a request left hanging is abandoned; ``params.timeout_s`` bounds it in the engine)."""
    params = params or ChatParams(max_output_tokens=128)
    ref = str(parse_ref(model_ref))
    run_id = run_id or uuid.uuid4().hex[:12]
    doc_id = _store_running(store, run_id, ref, prompt, params)
    with holding(run_id):
        result = _unless_cancelled(lambda: _ask(sources, run_id, ref, prompt, params), cancelled,
                                   ProbeResult(run_id, ref, None, None, None, None, "cancelled by the user", True))
        _store_result(store, doc_id, result)
    return result


def _unless_cancelled(ask: Callable[[], ProbeResult], cancelled: Callable[[], bool],
                      if_cancelled: ProbeResult) -> ProbeResult:
    answered: list[ProbeResult] = []
    done = threading.Event()

    def work() -> None:
        answered.append(ask())
        done.set()

    threading.Thread(target=work, name="pickwise-probe", daemon=True).start()
    while not done.wait(_POLL_S):
        if cancelled():
            return if_cancelled
    return answered[0]


def _ask(sources: Sources, run_id: str, ref: str, prompt: str, params: ChatParams) -> ProbeResult:
    timing: SampleTiming | None = None
    load_s = device = provider = error = None
    try:
        engine, model_id = sources.resolve(ref)
        loaded = engine.load(model_id)
        load_s, device, provider = loaded.seconds, loaded.device, loaded.execution_provider
        messages = [{"role": "user", "content": prompt}]
        t_send = time.perf_counter()
        timing = measure(t_send, engine.stream_chat(model_id, messages, params))
        error = _empty_answer(timing)
    except EngineError as exc:
        error = str(exc)
    return ProbeResult(run_id, ref, timing, load_s, device, provider, error)


def probe_job(store: Store, params: dict[str, Any], ctx: JobContext) -> str:
    """The ``probe`` job: ``params`` ``{"ref", "prompt", "max_tokens", "timeout_s"}`` (and the ``run_id`` to
    store the probe under, when the starter wants to find it again). Returns the outcome in one sentence."""
    chat = ChatParams(max_output_tokens=int(params["max_tokens"]), timeout_s=float(params["timeout_s"]))
    ctx.progress(0, 1, f"asking {params['ref']} (gives up after {chat.timeout_s:g} s)", force=True)
    result = run_probe(local_sources(store), store, params["ref"], params["prompt"], chat, run_id=params.get("run_id"),
                       cancelled=lambda: ctx.cancelled)
    ctx.check_cancel()
    if not result.ok:
        return f"{result.model_ref} did not answer: {result.error}"
    return f"{result.model_ref} answered in {result.timing.e2e_s:.2f} s." if result.timing and result.timing.e2e_s \
        else f"{result.model_ref} answered."


def start_probe(sources: Sources, store: Store, ref: str, prompt: str, max_tokens: int, timeout_s: float) -> str:
    """Probe in a worker process (job kind ``probe``); returns the job id at once. The job's ``run_id`` is the
    probe run it stores; ``sources`` resolves the endpoint's API key, handed to the worker's environment."""
    limits.TIMEOUT_S.check(timeout_s)
    run_id = uuid.uuid4().hex[:12]
    params = {"ref": ref, "prompt": prompt, "max_tokens": max_tokens, "timeout_s": timeout_s, "run_id": run_id}
    return start_worker_job(store, JobKinds.PROBE, params, run_id=run_id, label=f"Probe {ref}",
                            keys=sources.key_environment([ref]))


def probe_result(store: Store, run_id: str) -> ProbeResult | None:
    """A stored probe run read back as its result (None while it has no answer yet)."""
    run = queries.get_run(store, run_id)
    samples = queries.run_samples(store, run_id)
    if run is None or not run.models:
        return None
    ref, model = next(iter(run.models.items()))
    if run.status == "cancelled":
        return ProbeResult(run_id, ref, None, None, None, None, model.error, True)
    if not samples:
        return None
    sample = samples[0]
    timing = SampleTiming(**{f.name: sample[f.name] for f in fields(SampleTiming) if f.name in sample}) \
        if sample.get("n_deltas") is not None else None
    return ProbeResult(run_id, ref, timing, model.load_s, model.device, model.execution_provider, model.error)


def _empty_answer(timing: SampleTiming) -> str | None:
    """Why a finished stream is no answer: no visible text at all (reasoning alone does not count)."""
    if timing.text.strip():
        return None
    thought = " after reasoning only" if timing.reasoning_text.strip() else ""
    return (
        f"The model gave an empty answer{thought} (finish reason: {timing.finish_reason or 'none'}, "
        f"{timing.completion_tokens} tokens); try another prompt or a larger output budget."
    )


def _store_running(store: Store, run_id: str, ref: str, prompt: str, params: ChatParams) -> int:
    started = utc_now()
    return queries.insert(store, Run.build(
        {
            "run_id": run_id,
            "kind": "probe",
            "status": "running",
            "created_at": started,
            "started_at": started,
            "finished_at": None,
            "owner": owner_record(),
            "settings": asdict(params),
            "environment": machine_environment(),
            "prompt_set": {"name": "probe", "prompts": [{"id": "probe", "prompt": prompt}]},
            "models": {ref: {"status": "running"}},
        },
    ))


def _store_result(store: Store, doc_id: int, result: ProbeResult) -> None:
    status = "cancelled" if result.cancelled else "completed" if result.ok else "failed"
    queries.update(store, Run, doc_id, {
        "status": status,
        "finished_at": utc_now(),
        "models": {
            result.model_ref: {
                "status": status,
                "error": result.error,
                "load_s": result.load_s,
                "device": result.device,
                "execution_provider": result.execution_provider,
            }
        },
    })
    if result.cancelled:
        return
    sample = {"run_id": result.run_id, "model_ref": result.model_ref, "prompt_id": "probe", "round": 0,
              "warmup": False, "error": result.error, "created_at": utc_now()}
    if result.timing is not None:
        sample.update(asdict(result.timing))
    queries.insert(store, Sample.build(sample))
