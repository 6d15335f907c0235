"""Servers that misbehave on purpose: malformed stream chunks, huge answers, empty answers.

Each case runs against a real streaming server on 127.0.0.1 (``tests/fake_openai_server.py``) and,
where the damage used to spread, through the real benchmark runner and CLI over a real store file.
"""

from __future__ import annotations

import pytest

from core.benchmark import SAMPLES, BenchmarkSettings, create_run, execute_run
from core.engines.base import ChatParams, EngineError
from core.engines.openai_compatible import OpenAICompatibleEngine
from core.sources import Sources, add_endpoint
from store import Store
from tests.fake_openai_server import FakeOpenAIServer, Scenario

MESSAGES = [{"role": "user", "content": "Say hello."}]

# Ground truth: chunk payloads a hostile or buggy server may send, each malformed in one way.
MALFORMED_CHUNKS: dict[str, str] = {
    "list": "[1,2,3]",
    "null": "null",
    "number": "42",
    "choices-string": '{"choices":"abc"}',
    "choice-not-object": '{"choices":["abc"]}',
    "delta-string": '{"choices":[{"index":0,"delta":"hello"}]}',
    "content-number": '{"choices":[{"index":0,"delta":{"content":12345}}]}',
    "reasoning-list": '{"choices":[{"index":0,"delta":{"reasoning_content":["a"]}}]}',
    "finish-reason-number": '{"choices":[{"index":0,"delta":{},"finish_reason":7}]}',
    "usage-list": '{"choices":[],"usage":[1,2]}',
    "usage-tokens-string": '{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":"many"}}',
    "usage-tokens-negative": '{"choices":[],"usage":{"prompt_tokens":-1,"completion_tokens":4}}',
    "usage-tokens-float": '{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4.5}}',
    "usage-tokens-bool": '{"choices":[],"usage":{"prompt_tokens":true,"completion_tokens":4}}',
    "not-json": "{oops",
}


class _Control:
    cancelled = False

    def progress(self, done: float, total: float | None, message: str = "", *, force: bool = False) -> None:
        """The runner's progress is not under test here."""


@pytest.mark.parametrize("shape", sorted(MALFORMED_CHUNKS))
def test_malformed_chunk_fails_that_request_with_a_clear_reason(shape: str) -> None:
    scenario = Scenario(models=[shape], tokens=["Hello", " world"], raw_chunk_by_model=MALFORMED_CHUNKS)
    with FakeOpenAIServer(scenario) as srv:
        engine = OpenAICompatibleEngine("hostile", srv.base_url)
        received = []
        with pytest.raises(EngineError, match="sent a malformed stream chunk") as info:
            for event in engine.stream_chat(shape, MESSAGES, ChatParams()):
                received.append(event)
    assert "".join(e.text for e in received) == "Hello"  # what came before the bad chunk is kept
    assert "\n" not in str(info.value) and "Traceback" not in str(info.value)


def test_well_formed_edge_cases_are_accepted() -> None:
    """Nulls where OpenAI sends nulls, and a usage-only chunk without choices, are not malformed."""
    payload = '{"choices":[{"index":0,"delta":{"content":null,"role":null},"finish_reason":null}],"usage":null}'
    scenario = Scenario(models=["m"], tokens=["Hi"], raw_chunk_by_model={"m": payload})
    with FakeOpenAIServer(scenario) as srv:
        events = list(OpenAICompatibleEngine("ok", srv.base_url).stream_chat("m", MESSAGES, ChatParams()))
    assert events[-1].completion_tokens == 1 and events[-1].token_source == "engine"


def test_benchmark_survives_a_hostile_model_and_keeps_its_samples(store: Store) -> None:
    hostile, good = "usage-list", "good-model"
    scenario = Scenario(models=[hostile, good], tokens=["Fine", " answer"], raw_chunk_by_model=MALFORMED_CHUNKS)
    with FakeOpenAIServer(scenario) as srv:
        add_endpoint(store, "srv", srv.base_url)
        settings = BenchmarkSettings(
            models=[f"srv:{hostile}", f"srv:{good}"], prompts=[{"id": "p1", "prompt": "Hi"}], warmup=0, rounds=2
        )
        run_id = create_run(store, settings)
        run = execute_run(Sources(store, None), store, run_id, _Control())
    assert run["status"] == "completed"
    assert run["models"][f"srv:{good}"]["status"] == "completed"
    assert run["models"][f"srv:{good}"]["summary"]["n_counted"] == 2
    assert run["models"][f"srv:{hostile}"]["status"] == "failed"
    bad = store.find(SAMPLES, run_id=run_id, model_ref=f"srv:{hostile}")
    assert len(bad) == 2
    assert all("sent a malformed stream chunk" in s["error"] for s in bad)
    assert all(s["text"] == "Fine" for s in bad)  # partial text kept with its error
