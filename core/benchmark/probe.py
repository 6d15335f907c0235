"""The quick check: one prompt to one model, timed, stored as a one-sample ``probe`` run.

This is the seed's "run and quick check" and its validation step (every target model appears
and answers a probe), with the same timing maths as a benchmark so the figures agree.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass

from core.benchmark.environment import machine_environment
from core.benchmark.metrics import SampleTiming, measure
from core.engines.base import ChatParams, EngineError
from core.jobs import utc_now
from core.models.sources import Sources
from core.refs import parse_ref
from store import Store, queries
from store.records import Run, Sample


@dataclass
class ProbeResult:
    run_id: str
    model_ref: str
    timing: SampleTiming | None
    load_s: float | None
    device: str | None
    execution_provider: str | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None


def run_probe(
    sources: Sources, store: Store, model_ref: str, prompt: str, params: ChatParams | None = None
) -> ProbeResult:
    """Load (if needed), ask, measure, store. Failures come back in ``error``, not as exceptions."""
    params = params or ChatParams(max_output_tokens=128)
    ref = parse_ref(model_ref)
    run_id = uuid.uuid4().hex[:12]
    started = utc_now()
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
    result = ProbeResult(run_id, str(ref), timing, load_s, device, provider, error)
    _store_probe(store, result, prompt, params, started)
    return result


def _empty_answer(timing: SampleTiming) -> str | None:
    """Why a finished stream is no answer: no visible text at all (reasoning alone does not count)."""
    if timing.text.strip():
        return None
    thought = " after reasoning only" if timing.reasoning_text.strip() else ""
    return (
        f"The model gave an empty answer{thought} (finish reason: {timing.finish_reason or 'none'}, "
        f"{timing.completion_tokens} tokens); try another prompt or a larger output budget."
    )


def _store_probe(store: Store, result: ProbeResult, prompt: str, params: ChatParams, started: str) -> None:
    status = "completed" if result.ok else "failed"
    queries.insert(store, Run.build(
        {
            "run_id": result.run_id,
            "kind": "probe",
            "status": status,
            "created_at": started,
            "started_at": started,
            "finished_at": utc_now(),
            "settings": asdict(params),
            "environment": machine_environment(),
            "prompt_set": {"name": "probe", "prompts": [{"id": "probe", "prompt": prompt}]},
            "models": {
                result.model_ref: {
                    "status": status,
                    "error": result.error,
                    "load_s": result.load_s,
                    "device": result.device,
                    "execution_provider": result.execution_provider,
                }
            },
        },
    ))
    sample = {"run_id": result.run_id, "model_ref": result.model_ref, "prompt_id": "probe", "round": 0,
              "warmup": False, "error": result.error, "created_at": utc_now()}
    if result.timing is not None:
        sample.update(asdict(result.timing))
    queries.insert(store, Sample.build(sample))
