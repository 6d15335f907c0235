"""Which process owns a job or a run, and whether that process is gone.

Every job and every benchmark run records its ``owner`` when it starts: ``{pid, host, started}``,
``started`` being the process's start time (``psutil.Process.create_time``). A record still marked
running is an orphan when its owner is gone: a CLI killed with ``kill -9``, a crashed app, a thread
that died on a full disk. The start time matters because pids are reused: a live process with the
recorded pid but another start time is a different program, and the owner is gone.

An owner on another host cannot be checked from here (the store may sit on a shared disk), so its
records are left as they are. A record without an owner predates ownership; a bare ``pid`` (old
jobs) is checked as far as it goes.

Within the owning process the pid is alive by definition, so the caller says whether this process
is still doing the work (a job or a run is ``held`` while it is worked on): a record this process owns
but no longer works on is an orphan. A job's worker process (``core.workers``) is its owner, named by
the spawner (``child_owner``) the moment it exists; ``signal_owner`` is how Cancel reaches it.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from typing import Any

import psutil

#: Start times are floats from the same kernel counter; anything this close is the same process.
_SAME_START_S = 0.05

_held: set[str] = set()
_held_lock = threading.Lock()


@cache
def _this_process() -> dict[str, Any]:
    return {"pid": os.getpid(), "host": socket.gethostname(), "started": psutil.Process().create_time()}


def owner_record() -> dict[str, Any]:
    """The ``owner`` field for a job or run this process starts: ``{pid, host, started}``."""
    return dict(_this_process())


def child_owner(pid: int) -> dict[str, Any]:
    """The ``owner`` field for a process this one just started (a job's worker), read from the kernel, so the
    record names its real owner from the start, before the child has run a line."""
    return {"pid": pid, "host": _this_process()["host"], "started": psutil.Process(pid).create_time()}


def signal_owner(owner: Any, signum: int) -> bool:
    """Send ``signum`` to the process recorded in ``owner`` when it runs on this host and is that very process
    (same start time: a reused pid belongs to another program and is never signalled). True when sent."""
    if not isinstance(owner, Mapping) or not isinstance(owner.get("pid"), int) or owner.get("started") is None:
        return False
    me = _this_process()
    if owner.get("host") != me["host"] or owner["pid"] == me["pid"]:  # never this process (a job it still holds)
        return False
    if not _process_alive(owner["pid"], owner.get("started")):
        return False
    try:
        os.kill(owner["pid"], signum)
    except ProcessLookupError:  # it ended in between
        return False
    return True


@contextmanager
def holding(key: str) -> Iterator[None]:
    """Mark ``key`` (a run id, a job id) as being worked on by this process for the block."""
    with _held_lock:
        _held.add(key)
    try:
        yield
    finally:
        with _held_lock:
            _held.discard(key)


def is_held(key: str) -> bool:
    with _held_lock:
        return key in _held


def owner_gone(owner: Any, *, running_here: bool) -> bool:
    """True when the process recorded in ``owner`` no longer does the work.

    ``running_here`` says whether this process is doing it now (used when this process is the owner).
    False whenever that cannot be known here: no (usable) owner recorded, or an owner on another host.
    """
    if not isinstance(owner, Mapping) or not isinstance(owner.get("pid"), int):
        return False
    me = _this_process()
    if owner.get("host", me["host"]) != me["host"]:
        return False
    if owner["pid"] == me["pid"] and owner.get("started", me["started"]) == me["started"]:
        return not running_here
    return not _process_alive(owner["pid"], owner.get("started"))


def _process_alive(pid: int, started: float | None) -> bool:
    """``pid`` runs, and (when ``started`` is known) it is the process that started then."""
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:  # dead, only waiting for its parent to reap it
            return False
        created = process.create_time()
    except psutil.NoSuchProcess:
        return False
    except psutil.Error:  # e.g. access denied: it exists, and we cannot tell more
        return True
    return started is None or abs(created - started) < _SAME_START_S
