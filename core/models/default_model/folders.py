"""Model folders: what a complete one holds, the temp folder it is built in, and moving it into place.

A folder counts as converted only when every file a runtime needs is there (``REQUIRED_FILES``, the ONNX
file its ``genai_config.json`` names, a chat template where Foundry Local reads it) and the marker
written last is present. It is built in a temp folder beside its final place (same file system), so
the move is one rename and a killed conversion never leaves a ready-looking model; temp folders of
processes that died are removed. ``file_lock`` keeps two processes from building the same folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
from filelock import FileLock

from core.models.default_model.steps import PrepareError

MARKER_FILE = ".pickwise-model.json"  # written last, inside the temp folder, before the rename
_PARTIAL_PREFIX = ".partial-"


def file_lock(path: Path) -> FileLock:
    """An exclusive lock between processes, on every platform (two conversions must not share a venv or a folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(path)


def finalize_chat_template(model_dir: Path, template: str | None = None) -> str:
    """Make sure the folder carries a chat template where Foundry Local finds it; return it.

    ONNX Runtime GenAI (which Foundry Local uses to render chats) reads ``chat_template.jinja``
    and ``tokenizer_config.json["chat_template"]``. transformers 5 saves only the former, so the
    template is written to both for older runtimes.
    """
    jinja = model_dir / "chat_template.jinja"
    config_path = model_dir / "tokenizer_config.json"
    config = json.loads(config_path.read_text(encoding="utf-8")) if config_path.exists() else {}
    template = (
        template
        or (jinja.read_text(encoding="utf-8") if jinja.exists() else None)
        or (config.get("chat_template") if isinstance(config.get("chat_template"), str) else None)
    )
    if not template:
        raise PrepareError(
            "chat template",
            f"{model_dir} has no chat template (neither chat_template.jinja nor "
            "tokenizer_config.json['chat_template']).",
            "the source tokenizer must carry a chat template; add one to tokenizer_config.json.",
        )
    if not jinja.exists():
        jinja.write_text(template, encoding="utf-8")
    if config.get("chat_template") != template:
        config["chat_template"] = template
        config_path.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return template


REQUIRED_FILES = ("genai_config.json", "tokenizer.json", "tokenizer_config.json", "chat_template.jinja")


def check_model_folder(model_dir: Path) -> list[str]:
    """Problems with a built model folder (empty when it looks complete)."""
    problems = [f"missing {name}" for name in REQUIRED_FILES if not (model_dir / name).is_file()]
    try:
        config = json.loads((model_dir / "genai_config.json").read_text(encoding="utf-8"))
        onnx_name = config["model"]["decoder"]["filename"]
        if not (model_dir / onnx_name).is_file():
            problems.append(f"missing {onnx_name}")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        problems.append(f"unreadable genai_config.json ({exc})")
    return problems


def folder_is_complete(model_dir: Path) -> bool:
    return (model_dir / MARKER_FILE).is_file() and not check_model_folder(model_dir)


def write_marker(model_dir: Path, **info: object) -> None:
    payload = {"created_unix": int(time.time()), **info}
    (model_dir / MARKER_FILE).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


def install_folder(tmp_model: Path, final: Path) -> None:
    """Move a complete temp folder into place (a rename on the same file system)."""
    if final.exists():
        shutil.rmtree(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp_model, final)


def _pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists. Not ``os.kill(pid, 0)``: on Windows that terminates it."""
    try:
        return pid > 0 and psutil.pid_exists(pid)
    except OverflowError:  # larger than any pid
        return False


def clean_stale_partials(parent: Path) -> None:
    """Remove temp folders left by killed conversions (their pid is in the name)."""
    if not parent.is_dir():
        return
    for entry in parent.glob(_PARTIAL_PREFIX + "*"):
        try:
            pid = int(entry.name[len(_PARTIAL_PREFIX) :].split("-")[0])
        except (IndexError, ValueError):
            pid = -1
        if pid != os.getpid() and not _pid_alive(pid):
            shutil.rmtree(entry, ignore_errors=True)


@contextlib.contextmanager
def partial_dir(parent: Path, label: str) -> Iterator[Path]:
    """A temp folder beside the final one (same file system), removed whatever happens."""
    parent.mkdir(parents=True, exist_ok=True)
    clean_stale_partials(parent)
    tmp = Path(tempfile.mkdtemp(prefix=f"{_PARTIAL_PREFIX}{os.getpid()}-{label}-", dir=parent))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
