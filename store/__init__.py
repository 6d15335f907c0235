"""Pickwise's persistence: TinyDB-format JSON files (main file, one per run for samples), thread- and process-safe.

Use ``open_store(path)`` and the ``Store`` methods; the tables and their fields are documented in
``store/SCHEMA.md``. The store is the bottom layer: it imports nothing of Pickwise (not even
``core.paths``: callers resolve the path, e.g. ``core.paths.store_path(args.db)``) and never Streamlit,
so the runner, the CLI and the app all use it the same way.
"""

from __future__ import annotations

import os

from store.batch import BatchWriter
from store.db import RecoveryNotice, Store
from store.errors import (
    StoreBusyError,
    StoreError,
    StoreReadError,
    StoreRecordError,
    StoreVersionError,
    StoreWriteError,
)

__all__ = [
    "BatchWriter", "RecoveryNotice", "Store", "StoreBusyError", "StoreError", "StoreReadError", "StoreRecordError",
    "StoreVersionError", "StoreWriteError", "open_store",
]


#: Seconds a write waits for another process's lock before ``StoreBusyError`` (default 30).
LOCK_TIMEOUT_ENV = "PICKWISE_LOCK_TIMEOUT"


def open_store(path: str | os.PathLike[str]) -> Store:
    """Open (creating if needed) the store whose main file is ``path``, as resolved by the caller.

    Check ``store.recovered`` afterwards and show it to the user when set: it means the old file
    was unreadable and has been moved aside; ``store.read_only`` says why nothing can be saved.
    ``PICKWISE_LOCK_TIMEOUT`` (seconds) bounds how long a write waits for another process.
    """
    return Store(path, lock_timeout=_lock_timeout())


def _lock_timeout() -> float:
    raw = os.environ.get(LOCK_TIMEOUT_ENV, "30")
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise StoreError(f"{LOCK_TIMEOUT_ENV} must be a positive number of seconds, not {raw!r}: fix or unset it.")
    return seconds
