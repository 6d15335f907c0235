"""The OpenAI-compatible engine against a real local streaming server (no HTTP mocks)."""

from __future__ import annotations

import statistics
import time

import pytest

from core.engines.base import (
    ChatParams,
    Engine,
    EngineError,
    EngineTimeout,
    EngineUnreachable,
    ModelNotFound,
    StreamEnd,
    TextDelta,
)
from core.engines.openai_compatible import OpenAICompatibleEngine, validate_base_url, validate_endpoint_name
from tests.fake_openai_server import FakeOpenAIServer, Scenario, down_base_url

MESSAGES = [{"role": "user", "content": "Say hello."}]
SECRET = "sk-test-SECRET-value-123"
KEY_ENV = "PICKWISE_TEST_KEY"


def engine_for(srv: FakeOpenAIServer, key: str | None = None) -> OpenAICompatibleEngine:
    env = {KEY_ENV: key} if key else {}
    return OpenAICompatibleEngine("fake", srv.base_url, KEY_ENV if key else None, key_resolver=env.get)


def run(engine: OpenAICompatibleEngine, params: ChatParams | None = None, model: str = "fake-model"):
    """All events of one stream: (deltas, end)."""
    events = list(engine.stream_chat(model, MESSAGES, params or ChatParams()))
    assert isinstance(events[-1], StreamEnd)
    assert all(isinstance(e, TextDelta) for e in events[:-1])
    return events[:-1], events[-1]


def text(deltas: list[TextDelta], reasoning: bool = False) -> str:
    return "".join(d.text for d in deltas if d.reasoning == reasoning)


def partial_then_error(engine: OpenAICompatibleEngine, params: ChatParams) -> tuple[list[TextDelta], Exception]:
    """Consume a stream expected to fail; return what arrived before the error, and the error."""
    received: list[TextDelta] = []
    with pytest.raises(EngineError) as info:
        for event in engine.stream_chat("fake-model", MESSAGES, params):
            received.append(event)
    return received, info.value


# -- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:11434", "http://127.0.0.1:11434/v1"),
        ("http://localhost:8000/v1/", "http://localhost:8000/v1"),
        ("https://res.openai.azure.com/openai/v1", "https://res.openai.azure.com/openai/v1"),
    ],
)
def test_base_url_normalised(url: str, expected: str) -> None:
    assert validate_base_url(url) == expected


@pytest.mark.parametrize(
    "url", ["127.0.0.1:11434", "ftp://host/v1", "http:///v1", "http://h:port/v1", "http://h/v1?x=1"]
)
def test_bad_base_url_rejected(url: str) -> None:
    with pytest.raises(ValueError, match="Base URL"):
        validate_base_url(url)


@pytest.mark.parametrize("name", ["", "a:b", "has space", "foundry-local", "Foundry-Local"])
def test_bad_endpoint_name_rejected(name: str) -> None:
    with pytest.raises(ValueError):
        validate_endpoint_name(name)


def test_good_endpoint_name_kept() -> None:
    assert validate_endpoint_name(" my-ollama_2.local ") == "my-ollama_2.local"


# -- listing and loading -------------------------------------------------------------------------


def test_list_models_and_load() -> None:
    with FakeOpenAIServer(Scenario(models=["llama3.2", "qwen2.5"])) as srv:
        engine = engine_for(srv)
        assert isinstance(engine, Engine)
        models = engine.list_models()
        assert [m.ref for m in models] == ["fake:llama3.2", "fake:qwen2.5"]
        assert {m.state for m in models} == {"remote"}
        assert engine.load("qwen2.5").already_loaded
        with pytest.raises(ModelNotFound, match="llama3.2, qwen2.5"):
            engine.load("missing")
        srv.scenario.models_status = 404
        assert engine.load("missing").seconds == 0.0  # a server that cannot list is not second-guessed


def test_list_models_http_error_has_status_and_excerpt() -> None:
    with (
        FakeOpenAIServer(Scenario(models_status=500)) as srv,
        pytest.raises(EngineError, match="HTTP 500.*fake server"),
    ):
        engine_for(srv).list_models()


# -- streaming -----------------------------------------------------------------------------------


def test_stream_with_usage() -> None:
    with FakeOpenAIServer(Scenario(tokens=["Hel", "lo", "!"], prompt_tokens=9, finish_reason="length")) as srv:
        deltas, end = run(engine_for(srv))
    assert text(deltas) == "Hello!"
    assert (end.finish_reason, end.prompt_tokens, end.completion_tokens, end.token_source) == ("length", 9, 3, "engine")
    assert [d.at for d in deltas] == sorted(d.at for d in deltas) and end.at >= deltas[-1].at


def test_stream_without_usage_flags_chunk_estimate() -> None:
    with FakeOpenAIServer(Scenario(n_tokens=4, include_usage=False)) as srv:
        deltas, end = run(engine_for(srv))
    assert len(deltas) == 4
    assert (end.prompt_tokens, end.completion_tokens, end.token_source) == (None, 4, "chunks")


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_reasoning_kept_apart(field: str) -> None:
    scenario = Scenario(tokens=["4"], reasoning_tokens=["2+2", " is 4"], reasoning_field=field, include_usage=False)
    with FakeOpenAIServer(scenario) as srv:
        deltas, end = run(engine_for(srv))
    assert text(deltas, reasoning=True) == "2+2 is 4"
    assert text(deltas) == "4"
    assert deltas[0].reasoning and not deltas[-1].reasoning
    assert end.completion_tokens == 3


def test_request_params_sent() -> None:
    with FakeOpenAIServer() as srv:
        run(engine_for(srv), ChatParams(max_output_tokens=33, temperature=0.0, seed=42))
        run(engine_for(srv), ChatParams(seed=None))
        with_seed, without_seed = (r.body or {} for r in srv.chat_requests())
        assert srv.chat_requests()[0].prompt == "Say hello."
    assert with_seed["temperature"] == 0.0
    assert with_seed["max_tokens"] == 33
    assert with_seed["seed"] == 42
    assert with_seed["stream"] is True and with_seed["stream_options"] == {"include_usage": True}
    assert with_seed["messages"] == MESSAGES
    assert "seed" not in without_seed


def test_api_key_sent_from_named_variable_and_never_shown() -> None:
    with FakeOpenAIServer(Scenario(required_api_key=SECRET)) as srv:
        engine = engine_for(srv, key=SECRET)
        run(engine)
        assert srv.chat_requests()[0].headers["Authorization"] == f"Bearer {SECRET}"
        srv.scenario.required_api_key = "another"
        with pytest.raises(EngineError) as info:
            run(engine)
    assert KEY_ENV in str(info.value) and SECRET not in str(info.value)
    assert SECRET not in repr(engine) and SECRET not in str(vars(engine))


def test_key_echoed_by_server_is_blanked_in_messages() -> None:
    scenario = Scenario(status=500, error_body=f'{{"error": "bad key {SECRET}"}}')
    with FakeOpenAIServer(scenario) as srv, pytest.raises(EngineError) as info:
        run(engine_for(srv, key=SECRET))
    assert "bad key ***" in str(info.value) and SECRET not in str(info.value)


def test_no_key_sends_placeholder_and_401_explains() -> None:
    with FakeOpenAIServer(Scenario(required_api_key=SECRET)) as srv:
        with pytest.raises(EngineError, match="HTTP 401.*environment variable"):
            engine_for(srv).list_models()
        assert srv.requests[0].headers["Authorization"].startswith("Bearer ")


def test_401_names_the_variable_when_unset() -> None:
    with FakeOpenAIServer(Scenario(required_api_key=SECRET)) as srv:
        engine = OpenAICompatibleEngine("fake", srv.base_url, KEY_ENV, key_resolver={}.get)
        with pytest.raises(EngineError, match=f"{KEY_ENV} to a valid key \\(it is not set"):
            engine.list_models()


# -- failures ------------------------------------------------------------------------------------


def test_down_server_unreachable_quickly() -> None:
    engine = OpenAICompatibleEngine("down", down_base_url())
    started = time.perf_counter()
    with pytest.raises(EngineUnreachable, match="is the server running"):
        engine.list_models()
    with pytest.raises(EngineUnreachable):
        run(engine)
    assert time.perf_counter() - started < 1.0


def test_hang_times_out() -> None:
    with FakeOpenAIServer(Scenario(hang=True)) as srv:
        started = time.perf_counter()
        with pytest.raises(EngineTimeout):
            run(engine_for(srv), ChatParams(timeout_s=0.5))
        assert 0.5 <= time.perf_counter() - started < 1.5


def test_gap_between_chunks_times_out_keeping_partial_text() -> None:
    with FakeOpenAIServer(Scenario(n_tokens=3, token_interval_s=2.0)) as srv:
        received, error = partial_then_error(engine_for(srv), ChatParams(timeout_s=0.5))
    assert isinstance(error, EngineTimeout) and "within 0.5 s" in str(error)
    assert text(received) == "t0 "


def test_dribbling_server_ends_at_overall_deadline() -> None:
    """Every gap (0.25 s) is within the limit, yet the request must end at 0.6 s, not at the next chunk."""
    with FakeOpenAIServer(Scenario(n_tokens=100, token_interval_s=0.25)) as srv:
        engine = engine_for(srv)
        started = time.perf_counter()
        received, error = partial_then_error(engine, ChatParams(timeout_s=0.6))
        elapsed = time.perf_counter() - started
    assert isinstance(error, EngineTimeout)
    assert 0.6 <= elapsed < 0.72
    assert text(received) == "t0 t1 t2 "


def test_http_500_has_status_and_body_excerpt() -> None:
    with FakeOpenAIServer(Scenario(status=500)) as srv, pytest.raises(EngineError, match="HTTP 500.*internal failure"):
        run(engine_for(srv))


def test_unknown_model_404_is_model_not_found() -> None:
    body = '{"error": {"message": "model \\"nope\\" not found, try pulling it first"}}'
    with FakeOpenAIServer(Scenario(status=404, error_body=body)) as srv, pytest.raises(ModelNotFound, match="nope"):
        run(engine_for(srv), model="nope")


def test_stream_options_rejected_retries_once_and_remembers() -> None:
    with FakeOpenAIServer(Scenario(n_tokens=2, reject_stream_options=True)) as srv:
        engine = engine_for(srv)
        deltas, end = run(engine)
        run(engine)
        statuses = [r.status for r in srv.chat_requests()]
    assert text(deltas) == "t0 t1 " and end.token_source == "chunks"
    assert statuses == [400, 200, 200]  # the second stream did not pay for the refusal again


def test_max_tokens_rejected_falls_back_to_max_completion_tokens() -> None:
    with FakeOpenAIServer(Scenario(reject_max_tokens=True)) as srv:
        run(engine_for(srv), ChatParams(max_output_tokens=17), model="reasoner")
        retried = srv.chat_requests()[-1].body or {}
    assert retried["max_completion_tokens"] == 17 and "max_tokens" not in retried


SCHEMA = {"type": "object", "properties": {"score": {"type": "integer", "enum": [1, 2, 3, 4, 5]}},
          "required": ["score"], "additionalProperties": False}


def test_json_schema_is_sent_as_a_strict_response_format() -> None:
    with FakeOpenAIServer(Scenario(tokens=['{"score": 4}'])) as srv:
        _, constrained = run(engine_for(srv), ChatParams(json_schema=SCHEMA))
        _, free = run(engine_for(srv))
        asked, plain = (r.body or {} for r in srv.chat_requests())
    assert asked["response_format"] == {"type": "json_schema",
                                        "json_schema": {"name": "reply", "schema": SCHEMA, "strict": True}}
    assert "response_format" not in plain
    assert constrained.constrained and not free.constrained


def test_response_format_refused_falls_back_to_free_text_and_remembers() -> None:
    with FakeOpenAIServer(Scenario(tokens=["Score: 4"], reject_response_format=True)) as srv:
        engine = engine_for(srv)
        deltas, end = run(engine, ChatParams(json_schema=SCHEMA), model="plain-model")
        _, again = run(engine, ChatParams(json_schema=SCHEMA), model="plain-model")
        statuses = [r.status for r in srv.chat_requests()]
        retried = srv.chat_requests()[1].body or {}
    assert text(deltas) == "Score: 4" and not end.constrained and not again.constrained
    assert "response_format" not in retried and retried["max_tokens"] == 256  # only the refused field is dropped
    assert statuses == [400, 200, 200]  # remembered per endpoint and model: no second refusal


def test_cut_stream_is_an_error_after_partial_text() -> None:
    with FakeOpenAIServer(Scenario(n_tokens=10, drop_after=3)) as srv:
        received, error = partial_then_error(engine_for(srv), ChatParams(timeout_s=5))
    assert not isinstance(error, EngineTimeout) and "cut off" in str(error)
    assert text(received) == "t0 t1 t2 "


# -- timing --------------------------------------------------------------------------------------


def test_arrival_stamps_match_server_send_times() -> None:
    """Sanity check of the engine's stamping (not a speed test): each delta is stamped < 5 ms after
    the server wrote it, and the first content arrives after the scheduled time-to-first-token."""
    with FakeOpenAIServer(Scenario(n_tokens=20, ttft_s=0.05, token_interval_s=0.005)) as srv:
        engine = engine_for(srv)
        run(engine)  # warm the connection pool
        deltas, _ = run(engine)
        truth = srv.chat_requests()[-1]
    lags = [d.at - sent for d, sent in zip(deltas, truth.content_sent_at, strict=True)]
    assert all(lag >= 0 for lag in lags), "a delta cannot arrive before the server sent it"
    # the median, so one scheduling hiccup on a busy 2-core machine does not decide the verdict
    assert statistics.median(lags) < 0.005, lags
    assert truth.content_sent_at[0] - truth.received_at >= 0.05
