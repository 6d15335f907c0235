"""Bring your own model: what a path holds (checked before any work, one sentence each), an ONNX GenAI folder
registered in place and never deleted, the CLI's one-line errors, Cancel stopping a conversion step, and (slow)
the SmolLM2 GGUF converted end to end by an add-model job."""

from __future__ import annotations

import shutil
import struct
import sys
import threading
import time
from pathlib import Path

import pytest

import cli
from core.jobs import JobContext, get_job, record_job, run_job
from core.models.custom_model import made_by_pickwise, model_id_for, plan_addition, remove_model
from core.models.default_model.steps import StepCancelled, run_step
from core.models.model_files import ModelPathError, inspect_model_path
from core.models.model_jobs import add_model_job
from store import Store
from store.records import JobKinds


def _gguf(path: Path, meta: dict[str, str], size: int | None = None) -> Path:
    """A GGUF file with string metadata only and no tensors (the header is all ``read_metadata`` reads)."""
    def text(value: str) -> bytes:
        return struct.pack("<Q", len(value.encode())) + value.encode()

    body = b"GGUF" + struct.pack("<IQQ", 3, 0, len(meta))
    for key, value in meta.items():
        body += text(key) + struct.pack("<I", 8) + text(value)
    path.write_bytes(body)
    if size:
        with open(path, "r+b") as fh:  # sparse: a huge file that takes no disk
            fh.truncate(size)
    return path


CHAT_GGUF = {"general.architecture": "llama", "tokenizer.ggml.model": "gpt2", "tokenizer.chat_template": "{{ x }}"}


def _hf(folder: Path, *, tokenizer: bool = True, arch: str = "LlamaForCausalLM") -> Path:
    folder.mkdir()
    (folder / "config.json").write_text(f'{{"architectures": ["{arch}"]}}')
    (folder / "model.safetensors").write_bytes(b"\0" * 16)
    (folder / "tokenizer_config.json").write_text('{"chat_template": "{{ messages }}"}')
    if tokenizer:
        (folder / "tokenizer.json").write_text("{}")
    return folder


@pytest.mark.parametrize(("make", "expected"), [
    (lambda d: d, "holds neither an ONNX Runtime GenAI model"),
    (lambda d: (d / "x.gguf").write_text("not a model") and d / "x.gguf", "is not a GGUF model file"),
    (lambda d: _gguf(d / "cut.gguf", CHAT_GGUF).write_bytes(b"GGUF\3\0\0\0" + b"\0" * 9) and d / "cut.gguf",
     "cut short or damaged"),
    (lambda d: _gguf(d / "m.gguf", {**CHAT_GGUF, "general.architecture": "mamba"}), "architecture Pickwise cannot"),
    (lambda d: _gguf(d / "m.gguf", {"general.architecture": "llama", "tokenizer.chat_template": "t"}), "no tokenizer"),
    (lambda d: _gguf(d / "m.gguf", {"general.architecture": "llama", "tokenizer.ggml.model": "gpt2"}),
     "no chat template"),
    (lambda d: _hf(d / "hf", tokenizer=False), "has no tokenizer"),
    (lambda d: _hf(d / "hf", arch="BertModel"), "ONNX builder cannot convert"),
    (lambda d: d / "missing", "does not exist"),
])
def test_a_path_that_cannot_become_a_model_is_refused_in_one_sentence(tmp_path, make, expected):
    target = make(tmp_path)
    with pytest.raises(ModelPathError, match=expected) as info:
        inspect_model_path(target)
    assert "\n" not in str(info.value) and str(info.value).endswith(".")


def test_the_three_kinds_are_told_apart(tmp_path, tiny_model_dir):
    assert inspect_model_path(tiny_model_dir).kind == "onnx-genai"
    assert inspect_model_path(_hf(tmp_path / "hf")).kind == "huggingface"
    gguf = inspect_model_path(_gguf(tmp_path / "chat.gguf", {**CHAT_GGUF, "general.name": "My Chat"}))
    assert (gguf.kind, gguf.architecture, gguf.name_hint) == ("gguf", "llama", "My Chat")


def test_names_become_foundry_ids():
    assert model_id_for("My Chat") == "my-chat:1"
    assert model_id_for("tiny:3") == "tiny:3"
    with pytest.raises(ModelPathError):
        model_id_for("???")


def test_not_enough_disk_is_said_before_converting(tmp_path, foundry_engine):
    # sparse, a quarter of the free space: de-quantizing it would need twice the free space
    huge = _gguf(tmp_path / "huge.gguf", CHAT_GGUF, size=shutil.disk_usage(tmp_path).free // 4)
    with pytest.raises(ModelPathError, match=r"needs about .* GB free .* free some space"):
        plan_addition(foundry_engine, huge)


def test_an_onnx_folder_is_registered_in_place_and_never_deleted(tmp_path, foundry_engine, tiny_model_dir, capsys):
    assert cli.main(["models", "add", str(tiny_model_dir), "--name", "own-tiny"]) == 0
    assert "registered in place" in capsys.readouterr().out
    assert foundry_engine.registered_folder("own-tiny:1") == tiny_model_dir.resolve()
    assert not made_by_pickwise(foundry_engine, tiny_model_dir)
    other = _gguf(tmp_path / "collide.gguf", CHAT_GGUF)
    with pytest.raises(ModelPathError, match="already registered"):  # another source under the same id
        plan_addition(foundry_engine, other, "own-tiny")
    assert "left as it is" in remove_model(foundry_engine, "foundry-local:own-tiny:1")
    assert foundry_engine.registered_folder("own-tiny:1") is None
    assert (tiny_model_dir / "genai_config.json").is_file()


def test_cli_errors_are_one_line_on_stderr(tmp_path, capsys):
    assert cli.main(["models", "add", str(tmp_path)]) == 1
    assert cli.main(["models", "remove", "never-added"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert [line.split(" ", 1)[0] for line in err] == ["error:", "error:"], err
    assert "No registered model never-added:1" in err[1]


def test_cancel_kills_a_silent_step_at_once():
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(StepCancelled):
        run_step("silent", [sys.executable, "-c", "import time; time.sleep(60)"], hint="-", cancel=cancel)
    assert time.monotonic() - started < 10  # not the step's 60 s


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_the_smollm2_gguf_is_converted_registered_and_removed_by_a_job(store: Store, foundry_engine):
    from core.models.default_model.convert_env import locate_gguf

    job = record_job(store, JobKinds.ADD_MODEL, {"path": str(locate_gguf()), "model_id": "my-smollm2:1"})
    started = time.perf_counter()
    state = run_job(JobContext.of(store, job), lambda ctx: add_model_job(store, job.params, ctx, foundry_engine))
    seconds = time.perf_counter() - started
    done = get_job(store, job.job_id)
    assert state == "completed", done.message if done else None
    folder = foundry_engine.registered_folder("my-smollm2:1")
    assert folder is not None and made_by_pickwise(foundry_engine, folder)
    print(f"SmolLM2 GGUF converted and registered in {seconds:.0f} s; {done.message}")
    assert "deleted the folder" in remove_model(foundry_engine, "my-smollm2:1")
    assert not folder.exists()
