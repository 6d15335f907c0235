"""One model in its own process, from the parent's side: start it, relay what it reports, forward cancel.

``core.benchmark.runner`` measures each model of a run in a fresh child (``core.benchmark.model_process``),
so a native crash of the engine (onnxruntime aborting, a segfault) ends that child and not the run, the
child's memory is the model's alone, and no model loaded by another part of the program is "already
loaded". The child reports on a pipe of its own (not stdout, where a native library may print), one
JSON object per line:

* ``{"event": "started"}`` once its imports are done (the start-up cost ``benchmarks/worker_overhead.py``
  measures);
* ``{"event": "download", "model": ID, "percent": P}`` while a variant not on this machine yet is downloaded
  (before loading; whole percents), which the parent shows as the run's progress;
* ``{"event": "loaded", "record": {...}}`` the model's load time, device, family and memory after loading;
* ``{"event": "sample", "sample": {...}}`` after every request, so a crash loses only the one in flight
  (the parent stores them);
* ``{"event": "done", "record": {...}}`` what the model cost while answering, and why it stopped early.

Cancel is forwarded as SIGTERM: the child stops after the request in flight and reports ``done``. A child
that has not ended ``grace_s`` after that is killed. A child that dies by a signal is described by
``crash_reason``. Terminal interrupts (Ctrl-C) reach the parent's handler only: the child ignores SIGINT.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.paths import REPO_ROOT

CHILD_MODULE = "core.benchmark.model_process"
_POLL_S = 0.1  # how often the parent looks at its cancel flag while the child is quiet


@dataclass(frozen=True)
class ChildExit:
    """How the child ended: its ``done`` record (None if it never sent one) and its exit status."""

    done: dict[str, Any] | None
    returncode: int

    @property
    def crash(self) -> str | None:
        """Why the child ended without reporting, in words; None when it reported ``done``."""
        if self.done is not None:
            return None
        return crash_reason(self.returncode)


def crash_reason(returncode: int) -> str:
    """``the engine process crashed (signal 6, SIGABRT)`` for a child killed by a signal."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = "unknown signal"
        return f"the engine process crashed (signal {-returncode}, {name})"
    return f"the engine process exited with code {returncode} before reporting its results"


def child_command(db: Path, run_id: str, ref: str, fd: int) -> list[str]:
    return [sys.executable, "-m", CHILD_MODULE, "--db", str(db), "--run", run_id, "--ref", ref, "--fd", str(fd)]


def child_env() -> dict[str, str]:
    """The parent's environment (data folder, store, keys), with the code importable from any directory."""
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": str(REPO_ROOT) + (os.pathsep + path if path else "")}


def run_model_child(db: Path, run_id: str, ref: str, *, on_event: Callable[[dict[str, Any]], None],
                    cancelled: Callable[[], bool], grace_s: float) -> ChildExit:
    """Measure ``ref`` of run ``run_id`` in a fresh child; call ``on_event`` for each report as it comes.

    Never leaves the child running: if ``on_event`` or anything else raises, the child is killed first."""
    read_fd, write_fd = os.pipe()
    try:
        process = subprocess.Popen(child_command(db, run_id, ref, write_fd), pass_fds=(write_fd,), env=child_env(),
                                   stdin=subprocess.DEVNULL)
    finally:
        os.close(write_fd)
    done: dict[str, Any] | None = None
    try:
        with os.fdopen(read_fd, "rb", buffering=0) as pipe:
            for message in _messages(pipe, process, cancelled, grace_s):
                if message.get("event") == "done":
                    done = message.get("record") or {}
                on_event(message)
        return ChildExit(done, process.wait())
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _messages(pipe: Any, process: subprocess.Popen, cancelled: Callable[[], bool], grace_s: float):
    """The child's reports, one dict per line, until it closes the pipe (it ended). Forwards cancel once."""
    buffer = b""
    forwarded_at: float | None = None
    while True:
        if forwarded_at is None and cancelled():
            process.send_signal(signal.SIGTERM)
            forwarded_at = time.monotonic()
        elif forwarded_at is not None and time.monotonic() - forwarded_at > grace_s:
            process.kill()
        ready, _, _ = select.select([pipe], [], [], _POLL_S)
        if not ready:
            continue
        chunk = pipe.read(65536)
        if not chunk:
            return
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            if line.strip():
                yield json.loads(line)
