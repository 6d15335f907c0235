"""Default model preparation: the end-to-end conversion (slow) and its failure handling (fast)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from filelock import Timeout

from core.engines.base import ChatParams, StreamEnd, TextDelta
from core.models.default_model import pipeline
from core.models.default_model.folders import (
    clean_stale_partials,
    file_lock,
    finalize_chat_template,
    folder_is_complete,
)
from core.models.default_model.steps import PrepareError, run_step
from tests.tiny_model import ensure_test_data_dir

# ---- fast: failures say which step, show output, leave nothing half-done ------------------


def test_failed_step_reports_step_output_and_hint():
    seen: list[str] = []
    cmd = [sys.executable, "-c", "print('first line'); print('the real problem'); raise SystemExit(3)"]
    with pytest.raises(PrepareError) as info:
        run_step("demo step", cmd, lambda line, pct: seen.append(line), hint="do the thing")
    message = str(info.value)
    assert "step 'demo step'" in message
    assert "exited with code 3" in message
    assert "the real problem" in message
    assert "What to try: do the thing" in message
    assert info.value.step == "demo step"
    assert seen == ["first line", "the real problem"]


def test_run_step_splits_carriage_return_progress():
    seen: list[str] = []
    code = "import sys, time\nfor i in range(3):\n    sys.stdout.write(f'\\rbar {i}'); time.sleep(0.06)\nprint()"
    run_step("bars", [sys.executable, "-c", code], lambda line, pct: seen.append(line), hint="-")
    assert seen == ["bar 0", "bar 1", "bar 2"]


def test_killed_conversion_leaves_no_ready_looking_model(tmp_path, monkeypatch):
    monkeypatch.setenv("PICKWISE_DATA", str(tmp_path))
    monkeypatch.setattr(pipeline, "ensure_convert_env", lambda progress, span=(0, 100): Path(sys.executable))
    monkeypatch.setattr(pipeline, "locate_gguf", lambda: tmp_path / "fake.gguf")
    steps: list[str] = []

    def fake_run_step(step, cmd, progress=None, *, hint, cwd=None, cancel=None):
        steps.append(step)
        if step == "export GGUF":  # leave some output behind, as a real export would
            out = Path(cmd[cmd.index("--out") + 1])
            out.mkdir(parents=True)
            (out / "model.safetensors").write_bytes(b"partial")
            return []
        raise PrepareError(step, "simulated crash", "retry")

    monkeypatch.setattr(pipeline, "run_step", fake_run_step)
    with pytest.raises(PrepareError, match="build ONNX model"):
        pipeline.build_model_folder(pipeline.default_model_dir(), pipeline.SMOLLM2)
    assert steps == ["export GGUF", "build ONNX model"]
    assert not pipeline.default_model_dir().exists()
    left = [p.name for p in pipeline.default_model_dir().parent.iterdir()]
    assert left == [".prepare.lock"]  # no partial folder left, only the lock between processes


def test_a_folder_lock_held_by_another_process_excludes_this_one(tmp_path):
    """Two conversions must not fill one venv or folder: the lock (``filelock``, so on every platform)
    keeps a second process out until the first lets go."""
    lock = tmp_path / "sub" / ".prepare.lock"  # its folder is created on demand
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom pathlib import Path\n"
         "from core.models.default_model.folders import file_lock\n"
         "with file_lock(Path(sys.argv[1])):\n    print('held', flush=True)\n    sys.stdin.readline()",
         str(lock)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(Timeout):
            file_lock(lock).acquire(timeout=0.2)
    finally:
        holder.communicate("\n", timeout=30)
    with file_lock(lock):  # free once the holder let go
        pass


def test_stale_partials_from_dead_processes_are_removed(tmp_path):
    dead = tmp_path / ".partial-999999999-smollm2-abc"
    dead.mkdir()
    (tmp_path / "kept").mkdir()
    huge = tmp_path / f".partial-{2**40}-smollm2-abc"
    huge.mkdir()
    alive = tmp_path / f".partial-{os.getppid()}-smollm2-abc"  # another process's conversion, still running
    alive.mkdir()
    clean_stale_partials(tmp_path)
    assert not dead.exists() and not huge.exists() and (tmp_path / "kept").exists() and alive.exists()


def test_chat_template_goes_to_both_places(tmp_path):
    (tmp_path / "tokenizer_config.json").write_text('{"eos_token": "<|im_end|>"}')
    (tmp_path / "chat_template.jinja").write_text("{{ messages }}")
    assert finalize_chat_template(tmp_path) == "{{ messages }}"
    assert '"chat_template": "{{ messages }}"' in (tmp_path / "tokenizer_config.json").read_text()
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(PrepareError, match="no chat template"):
        finalize_chat_template(empty)


# ---- slow: the real thing ----------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_prepare_default_model_end_to_end_and_probe():
    ensure_test_data_dir()
    from core.engines.foundry_local import get_foundry_engine

    engine = get_foundry_engine()
    log: list[tuple[str, float | None]] = []
    model_id = pipeline.prepare_default_model(lambda message, pct: log.append((message, pct)), engine=engine)
    assert model_id == pipeline.DEFAULT_MODEL_ID
    percents = [pct for _, pct in log if pct is not None]
    assert percents == sorted(percents) and percents[-1] == 100
    assert folder_is_complete(pipeline.default_model_dir(engine.models_dir))

    started = time.perf_counter()  # idempotent: a second call is quick and converts nothing
    again: list[str] = []
    assert pipeline.prepare_default_model(lambda message, pct: again.append(message), engine=engine) == model_id
    assert time.perf_counter() - started < 10
    assert not any("Exporting" in message for message in again)

    entry = {e.model_id: e for e in engine.list_models()}[model_id]
    assert (entry.device, entry.license, entry.task) == ("CPU", "apache-2.0", "chat-completion")
    assert 50 < (entry.size_mb or 0) < 200

    load = engine.load(model_id)
    assert load.device == "CPU"
    messages = [{"role": "user", "content": "What is the capital of France? Answer in one word."}]
    events = list(engine.stream_chat(model_id, messages, ChatParams(max_output_tokens=32, temperature=0.0)))
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    end = events[-1]
    assert isinstance(end, StreamEnd)
    assert "Paris" in text, text
    assert end.token_source == "engine"
    assert end.prompt_tokens and end.prompt_tokens > 10
    assert end.completion_tokens and 0 < end.completion_tokens <= 32
    assert end.finish_reason in ("stop", "length")
