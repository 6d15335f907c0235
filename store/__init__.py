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


def open_store(override: str | os.PathLike[str] | None = None) -> Store:
    """Open (creating if needed) the store at ``core.paths.store_path(override)``.

    Check ``store.recovered`` afterwards and show it to the user when set: it means the old file
    was unreadable and has been moved aside.
    """
    return Store(store_path(override))
