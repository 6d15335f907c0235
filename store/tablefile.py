"""``TableFile``: one TinyDB-format JSON file held in memory, the unit the store caches and replaces.

The store is several such files (the main file, one per run for samples and judgments); each is
read whole, kept parsed in memory with the ``FileState`` of the version read, and written whole
with ``storage.atomic_write``. Each table's encoded JSON is cached too, and an insert only appends
to it, so storing a batch encodes the batch, not the documents already in the file.

Nothing here locks or decides when to read or write: ``store.db.Store`` does, under its lock.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from store.storage import (
    FileState,
    Tables,
    WriteTimings,
    atomic_write,
    check_shape,
    encode_table_body,
    file_state,
    iter_file_pieces,
    read_file,
)

Rows = dict[str, dict[str, Any]]


class TableFile:
    """The parsed content of one store file, its on-disk version and whether memory is ahead of it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tables: Tables = {}
        self.state: FileState | None = None
        self.dirty = False
        self._bodies: dict[str, list[bytes | memoryview]] = {}

    def __repr__(self) -> str:
        return f"TableFile({str(self.path)!r})"

    def install(self, tables: Tables, state: FileState | None) -> None:
        """Take ``tables`` as the content of the version ``state`` (``None``: not on disk yet)."""
        self.tables = tables
        self.state = state
        self.dirty = False
        self._bodies = {}

    def forget(self) -> None:
        """Drop everything held in memory; the next use reads the file again."""
        self.install({}, None)

    def read(self) -> bool:
        """Replace memory with the file's content; ``False`` if the file does not exist.

        Raises ``storage.CorruptFileError`` for bytes that are not a TinyDB document and ``OSError``
        when the file cannot be read.
        """
        found = read_file(self.path)
        if found is None:
            self.forget()
            return False
        data, state = found
        self.install(check_shape(data), state)
        return True

    def changed_on_disk(self) -> bool:
        """One ``stat``: has another process (or store object) replaced the file since we read it?"""
        return file_state(self.path) != self.state

    def rows(self, table: str) -> Rows:
        """The documents of ``table`` by id (an empty dict, not stored, if the table is absent)."""
        return self.tables.get(table, {})

    def add(self, table: str, added: Rows) -> None:
        """Append documents under new ids; the cached encoding grows by the new part only."""
        self.tables.setdefault(table, {}).update(added)
        body = self._bodies.get(table)
        if body is not None:
            body.append(encode_table_body(added))
        self.dirty = True

    def touched(self, table: str) -> None:
        """Documents of ``table`` were changed or removed in place: its cached encoding is stale."""
        self._bodies.pop(table, None)
        self.dirty = True

    def write(self, timings: WriteTimings) -> None:
        """Replace the file atomically with memory's content; ``timings`` receives where the time went."""
        started = time.perf_counter()
        for name, rows in self.tables.items():
            if name not in self._bodies:
                self._bodies[name] = [encode_table_body(rows)]
        timings.encode_s += time.perf_counter() - started
        self.state = atomic_write(self.path, iter_file_pieces(self.tables, self._bodies), after=self.state,
                                  timings=timings)
        self.dirty = False
