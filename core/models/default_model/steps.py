"""One preparation step: a subprocess whose output streams to the progress callback, and the error that names it.

Every conversion command (pip, the GGUF export, the ONNX builder, the smoke test) runs through
``run_step``: offline (no model hub is ever reached), with the repository on ``PYTHONPATH`` so the
conversion venv can run ``core.models.default_model.worker``, each output line (``\r`` progress bars
included) forwarded as it arrives, and a failure raised as ``PrepareError`` with the step's name, the
tail of its output and what to try.
"""

from __future__ import annotations

import collections
import os
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from core.engines.base import EngineError
from core.paths import REPO_ROOT

_TAIL_LINES = 30

# Environment for every conversion subprocess: never reach a model hub.
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "PYTHONUNBUFFERED": "1",
}

Progress = Callable[[str, "float | None"], None]


class PrepareError(EngineError):
    """A preparation step failed: ``step`` names it, ``problem`` says what went wrong, ``hint`` what to try,
    ``output_tail`` holds its last output lines."""

    def __init__(self, step: str, problem: str, hint: str, output_tail: Sequence[str] = ()) -> None:
        self.step, self.problem, self.hint = step, problem, hint
        self.output_tail = list(output_tail)
        message = f"Preparing the default model failed at step '{step}': {problem}"
        if self.output_tail:
            message += "\nLast output lines:\n  " + "\n  ".join(self.output_tail)
        message += f"\nWhat to try: {hint}"
        super().__init__(message)


class StepCancelled(Exception):
    """The step's subprocess was stopped because its ``cancel`` event was set (the user's Cancel)."""


def no_progress(_message: str, _percent: float | None) -> None:
    """The progress callback of a caller that does not show progress."""


def _subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(OFFLINE_ENV)
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONHOME", None)
    env["PYTHONPATH"] = str(REPO_ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def run_step(
    step: str,
    cmd: Sequence[str],
    progress: Progress | None = None,
    *,
    hint: str,
    cwd: Path | None = None,
    cancel: threading.Event | None = None,
) -> list[str]:
    """Run ``cmd``, forwarding each output line (``\\r`` progress bars included) to ``progress``.

    Returns the last output lines; raises ``PrepareError`` on a non-zero exit. Setting ``cancel`` kills the
    subprocess at once (a silent step, such as transformers reading a GGUF, would otherwise hold a Cancel
    until its next output line) and raises ``StepCancelled``.
    """
    progress = progress or no_progress
    tail: collections.deque[str] = collections.deque(maxlen=_TAIL_LINES)
    try:
        proc = subprocess.Popen(
            list(cmd),
            cwd=str(cwd or REPO_ROOT),
            env=_subprocess_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    except OSError as exc:
        raise PrepareError(step, f"could not start {cmd[0]}: {exc}", hint) from exc
    assert proc.stdout is not None
    if cancel is not None:
        threading.Thread(target=_kill_on_cancel, args=(proc, cancel), name="pickwise-step-cancel", daemon=True).start()
    buffer = b""
    last_sent = 0.0
    try:
        while True:
            chunk = proc.stdout.read1(65536) if hasattr(proc.stdout, "read1") else proc.stdout.read(4096)
            if not chunk:
                break
            buffer += chunk
            parts = buffer.replace(b"\r", b"\n").split(b"\n")
            buffer = parts.pop()
            for raw in parts:
                line = raw.decode("utf-8", "replace").rstrip()
                if not line:
                    continue
                tail.append(line)
                now = time.monotonic()
                # tqdm bars redraw hundreds of times a second: forward at most ~20 lines/s of them.
                if now - last_sent >= 0.05 or "%|" not in line:
                    last_sent = now
                    progress(line, None)
        if buffer.strip():
            line = buffer.decode("utf-8", "replace").rstrip()
            tail.append(line)
            progress(line, None)
        code = proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    if cancel is not None and cancel.is_set():
        raise StepCancelled(step)
    if code != 0:
        raise PrepareError(step, f"the command exited with code {code}: {' '.join(cmd)}", hint, list(tail))
    return list(tail)


def _kill_on_cancel(proc: subprocess.Popen, cancel: threading.Event) -> None:
    """Kill ``proc`` when ``cancel`` is set; return when either happens."""
    while proc.poll() is None:
        if cancel.wait(0.2):
            proc.kill()
            return
