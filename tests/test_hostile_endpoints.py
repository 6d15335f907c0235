"""Servers that misbehave on purpose: malformed stream chunks, huge answers, empty answers.

Each case runs against a real streaming server on 127.0.0.1 (``tests/fake_openai_server.py``) and,
where the damage used to spread, through the real benchmark runner and CLI over a real store file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli import main
from core.benchmark.metrics import MAX_STORED_CHARS, MAX_STORED_CHARS_ENV, SampleMeter, max_stored_chars
from core.benchmark.probe import run_probe
from core.benchmark.runner import create_run, execute_run
from core.benchmark.settings import BenchmarkSettings
from core.engines.base import ChatParams, EngineError
from core.engines.openai_compatible import OpenAICompatibleEngine
from core.models.sources import Sources, add_endpoint
from store import Store
from store.records import Table
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
        run = execute_run(store, run_id, _Control())
    assert run.status == "completed"
    assert run.models[f"srv:{good}"].status == "completed"
    assert (run.models[f"srv:{good}"].summary or {})["n_counted"] == 2
    assert run.models[f"srv:{hostile}"].status == "failed"
    bad = store.find(Table.SAMPLES, run_id=run_id, model_ref=f"srv:{hostile}")
    assert len(bad) == 2
    assert all("sent a malformed stream chunk" in s["error"] for s in bad)
    assert all(s["text"] == "Fine" for s in bad)  # partial text kept with its error


# -- response size cap ---------------------------------------------------------------------------


def test_huge_answer_is_capped_in_the_store_with_exact_counts(store_file: Path, monkeypatch) -> None:
    cap = 100_000
    monkeypatch.setenv(MAX_STORED_CHARS_ENV, str(cap))
    tokens = [f"{i:07d}" + "x" * 993 for i in range(3_000)]  # 3 MB in 3,000 chunks of 1,000 chars
    store = Store(store_file)
    with FakeOpenAIServer(Scenario(models=["big"], tokens=tokens)) as srv:
        add_endpoint(store, "srv", srv.base_url)
        result = run_probe(Sources(store, None), store, "srv:big", "Write a lot.", ChatParams(max_output_tokens=4000))
        sent = srv.chat_requests()[0]
    assert result.ok, result.error
    t = result.timing
    assert t is not None and t.text_truncated
    assert t.text == "".join(tokens)[:cap]
    assert t.completion_tokens == 3_000 and t.token_source == "engine" and t.n_deltas == 3_000
    # timings cover the whole answer, not the stored part: the last chunk left the server after e2e started
    assert t.e2e_s is not None and t.e2e_s >= sent.content_sent_at[-1] - sent.received_at
    assert store_file.stat().st_size < 3 * cap
    sample = store.find(Table.SAMPLES, run_id=result.run_id)[0]
    assert sample["text_truncated"] is True and sample["completion_tokens"] == 3_000


def test_cap_applies_to_reasoning_text_too(monkeypatch) -> None:
    from core.engines.base import StreamEnd, TextDelta

    monkeypatch.setenv(MAX_STORED_CHARS_ENV, "10")
    meter = SampleMeter(0.0)
    for i in range(5):
        meter.add(TextDelta("think ", 1.0 + i, reasoning=True))
    meter.add(TextDelta("short", 6.0))
    meter.add(StreamEnd(7.0, "stop", 3, 6, "engine"))
    timing = meter.result()
    assert timing.reasoning_text == "think thin" and timing.text == "short" and timing.text_truncated
    assert timing.ttft_s == 1.0 and timing.e2e_s == 6.0 and timing.n_deltas == 6


def test_small_answer_is_not_flagged() -> None:
    from core.engines.base import StreamEnd, TextDelta

    meter = SampleMeter(0.0)
    meter.add(TextDelta("all of it", 1.0))
    meter.add(StreamEnd(2.0, "stop", 1, 3, "engine"))
    assert meter.result().text == "all of it" and not meter.result().text_truncated


@pytest.mark.parametrize("value", ["0", "-5", "lots"])
def test_bad_cap_setting_warns_and_keeps_the_default(monkeypatch, value: str) -> None:
    monkeypatch.setenv(MAX_STORED_CHARS_ENV, value)
    with pytest.warns(UserWarning, match=f"{MAX_STORED_CHARS_ENV}.*default of {MAX_STORED_CHARS}"):
        assert max_stored_chars() == MAX_STORED_CHARS


# -- empty answers -------------------------------------------------------------------------------


@pytest.mark.parametrize("tokens", [[], ["", ""], ["  ", "\n"]])
def test_probe_of_an_empty_answer_reports_it(store: Store, tokens: list[str]) -> None:
    with FakeOpenAIServer(Scenario(models=["mute"], tokens=tokens)) as srv:
        add_endpoint(store, "srv", srv.base_url)
        result = run_probe(Sources(store, None), store, "srv:mute", "Hello?")
    assert not result.ok and "empty answer" in (result.error or "")
    assert store.find(Table.SAMPLES, run_id=result.run_id)[0]["error"] == result.error


@pytest.mark.parametrize("as_json", [False, True])
def test_cli_probe_of_an_empty_answer_is_one_line(capsys, store_file: Path, as_json: bool) -> None:
    with FakeOpenAIServer(Scenario(models=["mute"], tokens=[])) as srv:
        assert main(["--db", str(store_file), "endpoints", "add", "srv", "--base-url", srv.base_url]) == 0
        capsys.readouterr()
        code = main(["--db", str(store_file), "probe", "srv:mute", "--prompt", "Hello?"]
                    + (["--json"] if as_json else []))
    out, err = capsys.readouterr()
    assert code == 1
    if as_json:
        assert "empty answer" in json.loads(out)["error"]
    else:
        assert err.count("\n") == 1 and err.startswith("error: ") and "empty answer" in err
