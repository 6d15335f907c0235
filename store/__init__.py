"""Pickwise's persistence: one TinyDB-format JSON file, safe across threads and processes.

Use ``open_store()`` (path from ``--db`` / ``PICKWISE_DB`` / ``<data>/pickwise.json``) and the
``Store`` methods; the tables and their fields are documented in ``store/SCHEMA.md``.
Never imports Streamlit: the runner and CLI use it too.
"""

from __future__ import annotations

import os

from core.paths import store_path
from store.batch import BatchWriter
from store.db import RecoveryNotice, Store
from store.errors import StoreBusyError, StoreError, StoreReadError, StoreVersionError, StoreWriteError

__all__ = [
    "BatchWriter", "RecoveryNotice", "Store", "StoreBusyError", "StoreError", "StoreReadError", "StoreVersionError",
    "StoreWriteError", "open_store",
]


#: Seconds a write waits for another process's lock before ``StoreBusyError`` (default 30).
LOCK_TIMEOUT_ENV = "PICKWISE_LOCK_TIMEOUT"


def open_store(override: str | os.PathLike[str] | None = None) -> Store:
    """Open (creating if needed) the store at ``core.paths.store_path(override)``.

    Check ``store.recovered`` afterwards and show it to the user when set: it means the old file
    was unreadable and has been moved aside; ``store.read_only`` says why nothing can be saved.
    ``PICKWISE_LOCK_TIMEOUT`` (seconds) bounds how long a write waits for another process.
    """
    return Store(store_path(override), lock_timeout=_lock_timeout())


def _lock_timeout() -> float:
    raw = os.environ.get(LOCK_TIMEOUT_ENV, "30")
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise StoreError(f"{LOCK_TIMEOUT_ENV} must be a positive number of seconds, not {raw!r}: fix or unset it.")
    return seconds
