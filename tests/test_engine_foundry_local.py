"""FoundryLocalEngine against the real foundry-local-sdk and a tiny random-weight model.

The Foundry Local manager is a process singleton bound to ``PICKWISE_DATA`` when first made, so
the whole test process shares one engine (session fixture) and one data folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.engines.base import (
    ChatParams,
    Engine,
    EngineError,
    EngineTimeout,
    ModelNotFound,
    StreamEnd,
    TextDelta,
)
from core.paths import REPO_ROOT

pytestmark = pytest.mark.timeout(900)  # the first run builds the conversion venv (1-2 min)

HELLO = [{"role": "user", "content": "Hello there, how are you?"}]


def _run(engine, model_id, messages=HELLO, **params):
    events = list(engine.stream_chat(model_id, messages, ChatParams(**params)))
    deltas = [e for e in events if isinstance(e, TextDelta)]
    end = events[-1]
    assert isinstance(end, StreamEnd)
    assert sum(isinstance(e, StreamEnd) for e in events) == 1
    return deltas, end


def _linked_copy(src: Path, dst: Path) -> Path:
    dst.mkdir(parents=True)
    for item in src.iterdir():
        (dst / item.name).symlink_to(item)
    return dst


# ---- listing and registration ------------------------------------------------------------


def test_engine_satisfies_protocol(foundry_engine):
    assert isinstance(foundry_engine, Engine)
    assert foundry_engine.source == "foundry-local"


def test_registered_model_is_listed_with_device_and_size(foundry_engine, tiny_model):
    entries = {e.model_id: e for e in foundry_engine.list_models()}
    entry = entries[tiny_model]
    assert entry.ref == f"foundry-local:{tiny_model}"
    assert entry.state in ("cached", "loaded")
    assert entry.device == "CPU"
    assert entry.execution_provider == "CPUExecutionProvider"
    assert entry.size_mb and entry.size_mb > 1
    assert entry.license == "apache-2.0"
    assert entry.task == "chat-completion"
    assert entry.display_name == "Tiny test model"


def test_register_same_folder_again_is_idempotent(foundry_engine, tiny_model, tiny_model_dir):
    entry = foundry_engine.register_folder(tiny_model_dir, tiny_model, "Tiny test model", "apache-2.0")
    assert entry.model_id == tiny_model
    assert [e.model_id for e in foundry_engine.list_models()].count(tiny_model) == 1


def test_list_models_never_waits_for_public_catalog(foundry_engine, tiny_model):
    started = time.perf_counter()
    foundry_engine.list_models()
    assert time.perf_counter() - started < 2.0
    status = foundry_engine.wait_for_catalog(timeout=60)
    assert status.done
    if status.state == "empty":  # the usual case here: no internet
        assert "unreachable (offline?)" in status.message
    assert foundry_engine.catalog_status() == status


def test_registration_persists_across_processes(foundry_engine, tiny_model):
    code = (
        "from core.engines.foundry_local import FoundryLocalEngine\n"
        "print([m.id for m in FoundryLocalEngine()._local.list_models()])\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=True)
    assert tiny_model in out.stdout


def test_disk_mb_and_prepare_noop(foundry_engine, tiny_model, tiny_model_dir):
    expected = sum(p.stat().st_size for p in tiny_model_dir.rglob("*") if p.is_file()) / 1e6
    assert foundry_engine.disk_mb(tiny_model) == pytest.approx(expected, abs=0.2)
    seen = []
    foundry_engine.prepare(tiny_model, progress=seen.append)
    assert seen == [100.0]


# ---- load / unload -----------------------------------------------------------------------


def test_load_is_timed_and_reports_device(foundry_engine, tiny_model):
    foundry_engine.unload(tiny_model)
    result = foundry_engine.load(tiny_model)
    assert not result.already_loaded
    assert 0 < result.seconds < 60
    assert (result.device, result.execution_provider) == ("CPU", "CPUExecutionProvider")
    again = foundry_engine.load(tiny_model)
    assert again.already_loaded and again.seconds == 0.0
    states = {e.model_id: e.state for e in foundry_engine.list_models()}
    assert states[tiny_model] == "loaded"


def test_unload(foundry_engine, tiny_model):
    foundry_engine.load(tiny_model)
    foundry_engine.unload(tiny_model)
    assert not foundry_engine.is_loaded(tiny_model)
    assert {e.model_id: e.state for e in foundry_engine.list_models()}[tiny_model] == "cached"
    foundry_engine.unload(tiny_model)  # unloading twice is a no-op


# ---- streaming ---------------------------------------------------------------------------


def test_stream_yields_timed_deltas_then_engine_usage(foundry_engine, tiny_model):
    foundry_engine.load(tiny_model)
    before = time.perf_counter()
    deltas, end = _run(foundry_engine, tiny_model, max_output_tokens=40)
    after = time.perf_counter()
    assert len(deltas) >= 20
    stamps = [d.at for d in deltas]
    assert stamps == sorted(stamps) and stamps[0] < stamps[-1]
    assert before < stamps[0] and stamps[-1] <= end.at <= after
    assert all(d.text for d in deltas)
    assert end.token_source == "engine"
    assert end.finish_reason == "length"  # the tiny model never emits end-of-turn
    assert end.completion_tokens == 40
    assert end.prompt_tokens and end.prompt_tokens > 5


def test_stream_loads_an_unloaded_model(foundry_engine, tiny_model):
    foundry_engine.unload(tiny_model)
    _deltas, end = _run(foundry_engine, tiny_model, max_output_tokens=5)
    assert end.completion_tokens == 5
    assert foundry_engine.is_loaded(tiny_model)


def test_each_request_gets_a_fresh_session(foundry_engine, tiny_model):
    _, first = _run(foundry_engine, tiny_model, max_output_tokens=30)
    _, second = _run(foundry_engine, tiny_model, max_output_tokens=30)
    assert second.prompt_tokens == first.prompt_tokens  # no history carried over


def test_all_messages_reach_the_prompt(foundry_engine, tiny_model):
    system = {"role": "system", "content": "You are terse."}
    _, single = _run(foundry_engine, tiny_model, [system, *HELLO], max_output_tokens=3)
    history = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello! How can I help today?"},
    ]
    _, multi = _run(foundry_engine, tiny_model, [system, *history, *HELLO], max_output_tokens=3)
    assert multi.prompt_tokens >= single.prompt_tokens + 12  # two more turns: text + role markers


def test_seeded_sampling_is_reproducible(foundry_engine, tiny_model):
    runs = [
        "".join(d.text for d in _run(foundry_engine, tiny_model, max_output_tokens=20, temperature=1.0, seed=7)[0])
        for _ in range(2)
    ]
    assert runs[0] == runs[1]


VERDICT_SCHEMA = {
    "type": "object",
    "properties": {
        "scores": {"type": "object", "properties": {"helpfulness": {"type": "integer", "enum": [1, 2, 3, 4, 5]}},
                   "required": ["helpfulness"], "additionalProperties": False},
        "rationale": {"type": "string", "maxLength": 60},
    },
    "required": ["scores", "rationale"],
    "additionalProperties": False,
}


def test_json_schema_constrains_even_a_random_model(foundry_engine, tiny_model):
    """The tiny model's weights are random: unconstrained it never writes JSON, so valid JSON in the
    schema's property order, closed within the budget, is proof the guidance was applied."""
    free = "".join(d.text for d in _run(foundry_engine, tiny_model, max_output_tokens=60)[0])
    deltas, end = _run(foundry_engine, tiny_model, max_output_tokens=60, json_schema=VERDICT_SCHEMA)
    reply = "".join(d.text for d in deltas)
    verdict = json.loads(reply)  # closed well inside the budget: no room lost to whitespace
    assert list(verdict) == ["scores", "rationale"] and verdict["scores"]["helpfulness"] in range(1, 6)
    assert len(verdict["rationale"]) <= 60 and end.finish_reason == "stop" and end.constrained
    with pytest.raises(ValueError):
        json.loads(free)
    assert not _run(foundry_engine, tiny_model, max_output_tokens=3)[1].constrained


def test_timeout_cancels_and_raises(foundry_engine, tiny_model):
    foundry_engine.load(tiny_model)
    started = time.perf_counter()
    with pytest.raises(EngineTimeout, match="did not finish within"):
        _run(foundry_engine, tiny_model, max_output_tokens=1900, timeout_s=0.05)
    assert time.perf_counter() - started < 10
    _, end = _run(foundry_engine, tiny_model, max_output_tokens=5)  # the engine still works
    assert end.completion_tokens == 5


def test_abandoned_stream_does_not_break_the_next_request(foundry_engine, tiny_model):
    stream = foundry_engine.stream_chat(tiny_model, HELLO, ChatParams(max_output_tokens=1000))
    next(stream)
    stream.close()
    _, end = _run(foundry_engine, tiny_model, max_output_tokens=5)
    assert end.completion_tokens == 5


def test_bad_role_is_rejected(foundry_engine, tiny_model):
    with pytest.raises(EngineError, match="role 'robot'"):
        foundry_engine.stream_chat(tiny_model, [{"role": "robot", "content": "x"}], ChatParams())


# ---- unknown models ----------------------------------------------------------------------


def test_unknown_model_lists_what_exists(foundry_engine, tiny_model):
    with pytest.raises(ModelNotFound) as info:
        foundry_engine.stream_chat("no-such-model:1", HELLO, ChatParams())
    assert tiny_model in str(info.value)
    for call in (foundry_engine.load, foundry_engine.unload, foundry_engine.disk_mb, foundry_engine.prepare):
        with pytest.raises(ModelNotFound):
            call("no-such-model:1")


# ---- bring your own model: validation ----------------------------------------------------


def test_byom_missing_folder(foundry_engine, tmp_path):
    with pytest.raises(EngineError, match="does not exist"):
        foundry_engine.register_folder(tmp_path / "nope", "mine:1")


def test_byom_folder_without_genai_config(foundry_engine, tmp_path):
    (tmp_path / "model.onnx").write_bytes(b"")
    with pytest.raises(EngineError, match="no genai_config.json"):
        foundry_engine.register_folder(tmp_path, "mine:1")


@pytest.mark.parametrize("bad_id", ["mine", "mine:v1", ":1", "mine:1:2", "with space:1", ""])
def test_byom_bad_model_id(foundry_engine, tiny_model_dir, bad_id):
    with pytest.raises(EngineError, match="NAME:VERSION"):
        foundry_engine.register_folder(tiny_model_dir, bad_id)


def test_byom_folder_without_chat_template(foundry_engine, tiny_model_dir, tmp_path):
    folder = tmp_path / "no-template"
    folder.mkdir()
    for name in ("genai_config.json", "model.onnx", "model.onnx.data", "tokenizer.json"):
        (folder / name).symlink_to(tiny_model_dir / name)
    config = json.loads((tiny_model_dir / "tokenizer_config.json").read_text())
    config.pop("chat_template")
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    with pytest.raises(EngineError, match="no chat template"):
        foundry_engine.register_folder(folder, "no-template:1")


def test_byom_register_conflict_replace_and_unregister(foundry_engine, tiny_model, tiny_model_dir, tmp_path):
    other = _linked_copy(tiny_model_dir, tmp_path / "other")
    model_id = "pickwise-byom-test:3"
    try:
        entry = foundry_engine.register_folder(other, model_id, "BYOM test")
        assert entry.state == "cached" and entry.device == "CPU"
        with pytest.raises(EngineError, match="already registered"):
            foundry_engine.register_folder(tiny_model_dir, model_id)
        foundry_engine.register_folder(tiny_model_dir, model_id, replace=True)
        assert foundry_engine.model_path(model_id) == tiny_model_dir.resolve()
        _, end = _run(foundry_engine, model_id, max_output_tokens=3)
        assert end.completion_tokens == 3
    finally:
        foundry_engine.unregister(model_id)
    assert model_id not in {e.model_id for e in foundry_engine.list_models()}
    assert tiny_model_dir.exists() and other.exists()  # files are never deleted
    with pytest.raises(ModelNotFound):
        foundry_engine.unregister(model_id)


def test_byom_folder_deleted_after_registration(foundry_engine, tiny_model_dir, tmp_path):
    model_id = "pickwise-gone-test:1"
    doomed = _linked_copy(tiny_model_dir, tmp_path / "doomed")
    foundry_engine.register_folder(doomed, model_id)
    try:
        shutil.rmtree(doomed)
        assert {e.model_id: e.state for e in foundry_engine.list_models()}[model_id] == "available"
        with pytest.raises(EngineError, match="missing or incomplete"):
            foundry_engine.load(model_id)
        # Registering the id again re-points it (no replace=True needed: the old folder is gone).
        fresh = _linked_copy(tiny_model_dir, tmp_path / "fresh")
        assert foundry_engine.register_folder(fresh, model_id).state == "cached"
    finally:
        foundry_engine.unregister(model_id)
