"""Batched inserts for a stream of documents (samples, judgments): one file rewrite per batch.

Every store write rewrites the files it changes (here: the run's file and the index), so a runner
producing a document per request buffers them and flushes every ``every`` documents or ``seconds``
seconds; a final ``flush`` keeps the rest.
"""

from __future__ import annotations

import time
from typing import Any

from store.db import Store


class BatchWriter:
    def __init__(self, store: Store, table: str, *, every: int = 10, seconds: float = 2.0) -> None:
        self._store, self._table = store, table
        self._every, self._seconds = every, seconds
        self._buffer: list[dict[str, Any]] = []
        self._last_flush = time.monotonic()

    def add(self, doc: dict[str, Any]) -> None:
        self._buffer.append(doc)
        if len(self._buffer) >= self._every or time.monotonic() - self._last_flush >= self._seconds:
            self.flush()

    def flush(self) -> None:
        if self._buffer:
            self._store.insert_many(self._table, self._buffer)
            self._buffer = []
        self._last_flush = time.monotonic()
