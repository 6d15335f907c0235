"""Per-run files for the tables that grow with every request: ``samples``, ``judgments``, ``pairwise_verdicts``.

Why: with everything in one file, every write rewrote every sample ever stored and every reader
re-parsed all of them after any other process wrote (at 300,000 samples: 461 MB, 0.33 s per
1,000-sample append, 4.5 s to open). Now each run's documents of these tables live in their own
TinyDB file, so a write replaces only the files it changed and a reader re-reads only those.

Layout, beside the main file ``pickwise.json``::

    pickwise.json.runs/index.json               per run file: document count, id ranges, version
    pickwise.json.runs/samples/<run_id>.json    {"samples": {"<id>": {...}, ...}}
    pickwise.json.runs/judgments/<run_id>.json  {"judgments": {...}}
    pickwise.json.runs/pairwise_verdicts/<run_id>.json  {"pairwise_verdicts": {...}}

* A document belongs to the file of its ``run_id`` (a non-empty string); documents without one
  share ``_unassigned.json``. A run id that is not a plain file name gets ``_<sha256 prefix>.json``.
  An update that changes ``run_id`` moves the document; a file left empty is deleted.
* Ids stay one sequence per table across all runs (1, 2, ...; the next id is kept in the index and
  never reused), so a migrated store keeps every id and ``sample_id`` references stay valid.
* The run files are the truth; the index is a cache of what they hold, each entry tagged with the
  ``FileState`` of the version it describes. ``count`` and ``count_by_run`` read only the index.
  Whoever loads a changed index, and every writer under the lock, lists the folders once and
  re-reads any run file whose version differs from its entry: what a writer killed between a run
  file and the index leaves behind is picked up, and a lost or unreadable index is rebuilt.
  A failed index write is therefore not an error: the next write repeats it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from store.storage import CorruptFileError, FileState, WriteTimings, atomic_write, file_state, read_file
from store.tablefile import Rows, TableFile

log = logging.getLogger(__name__)

#: The tables kept in per-run files, and the field that says which run a document belongs to.
PARTITIONED_TABLES = frozenset({"samples", "judgments", "pairwise_verdicts"})
PARTITION_FIELD = "run_id"
INDEX_NAME = "index.json"
UNASSIGNED = "_unassigned"

#: Run files kept parsed in memory, most recently used first; more are read again when needed, so a
#: long-lived process (the app, a CLI filling a big store) does not end up holding every sample.
CACHED_RUN_FILES = 64

#: A partition key: the document's run id, or ``None`` for documents without a usable one.
Key = str | None

_UNKNOWN = object()
_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def runs_folder(main_path: Path) -> Path:
    """The folder holding the run files of the store whose main file is ``main_path``."""
    return main_path.with_name(main_path.name + ".runs")


def partition_key(run_id: Any) -> Key:
    """Which file a document with this ``run_id`` value lives in (also what a query on it reads)."""
    return run_id if isinstance(run_id, str) and run_id else None


def file_name(key: Key) -> str:
    if key is None:
        return f"{UNASSIGNED}.json"
    if _PLAIN_NAME.fullmatch(key):
        return f"{key}.json"
    return f"_{hashlib.sha256(key.encode()).hexdigest()[:24]}.json"


@dataclass
class Entry:
    """What the index knows about one run file without reading it."""

    count: int = 0
    ids: list[list[int]] = field(default_factory=list)  # inclusive [first, last] ranges covering every id
    state: FileState | None = None  # the file version these figures describe

    def holds(self, doc_id: int) -> bool:
        return any(first <= doc_id <= last for first, last in self.ids)

    def add_ids(self, ids: Iterable[int]) -> None:
        for doc_id in sorted(ids):
            if self.ids and self.ids[-1][1] + 1 == doc_id:
                self.ids[-1][1] = doc_id
            elif not self.holds(doc_id):
                self.ids.append([doc_id, doc_id])

    @classmethod
    def describing(cls, rows: Rows, state: FileState | None) -> Entry:
        entry = cls(len(rows), [], state)
        entry.add_ids(map(int, rows))
        return entry


#: Called with (path, reason) for a run file that cannot be parsed; must move it out of the way.
OnCorrupt = Callable[[Path, str], None]


class Partitions:
    """The run files of one store: which exist, what they hold, and the ones read into memory.

    Not thread- or process-safe by itself: ``store.db.Store`` calls it under its lock and mutex.
    """

    def __init__(self, main_path: Path, on_corrupt: OnCorrupt) -> None:
        self.folder = runs_folder(main_path)
        self.index_path = self.folder / INDEX_NAME
        self.reads = 0
        self._on_corrupt = on_corrupt
        self.forget()

    def forget(self) -> None:
        """Drop everything in memory (after a failed write); the next ``sync`` reads the disk again."""
        self._entries: dict[tuple[str, Key], Entry] = {}
        self._next_ids: dict[str, int] = {}
        self._files: OrderedDict[tuple[str, Key], TableFile] = OrderedDict()
        self._dirty: set[tuple[str, Key]] = set()
        self._index_state: FileState | None = None
        self._index_dirty = False
        self._loaded = False

    # ------------------------------------------------------------ keeping up with the disk

    def sync(self, *, writing: bool) -> None:
        """Reload the index if it changed; a writer (holding the lock) also checks every run file."""
        state = file_state(self.index_path)
        if self._loaded and state == self._index_state and not writing:
            return
        if not self._loaded or state != self._index_state:
            self._load_index()
        self._verify()
        self._loaded = True

    def _load_index(self) -> None:
        self._entries, self._next_ids, self._index_state = {}, {}, None
        try:
            found = read_file(self.index_path)
        except CorruptFileError as exc:
            log.warning("Rebuilding %s from the run files: %s", self.index_path, exc.reason)
            return
        if found is None:
            return
        self.reads += 1
        data, self._index_state = found
        try:
            for doc in data.get("partitions", {}).values():
                state = FileState(*doc["state"]) if doc["state"] else None
                self._entries[(doc["table"], doc["key"])] = Entry(int(doc["count"]), doc["ids"], state)
            self._next_ids = {str(t): int(n) for t, n in data.get("next_ids", {}).get("1", {}).items()}
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            log.warning("Rebuilding %s from the run files: %r", self.index_path, exc)
            self._entries, self._next_ids = {}, {}

    def _verify(self) -> None:
        """Make the index's entries describe the run files on disk, re-reading the ones that differ."""
        on_disk: set[tuple[str, Key]] = set()
        for table in sorted(PARTITIONED_TABLES):
            known = {file_name(key): key for (t, key) in self._entries if t == table}
            try:
                listing = list(os.scandir(self.folder / table))
            except FileNotFoundError:
                continue
            for item in listing:
                if not item.name.endswith(".json"):
                    continue  # temp files of a writer, files moved aside
                key = known.get(item.name, _UNKNOWN)
                if key is not _UNKNOWN and self._entries[(table, key)].state == FileState.of(item.stat()):
                    on_disk.add((table, key))
                    continue
                found = self._reread(table, Path(item.path), None if key is _UNKNOWN else [key])
                if found is not None:
                    on_disk.add(found)
        for gone in set(self._entries) - on_disk - self._dirty:
            del self._entries[gone]
            self._files.pop(gone, None)
            self._index_dirty = True
        for (table, _key), entry in self._entries.items():
            if entry.ids:
                last = max(last for _, last in entry.ids)
                self._next_ids[table] = max(self._next_ids.get(table, 1), last + 1)

    def _reread(self, table: str, path: Path, known: list[Key] | None) -> tuple[str, Key] | None:
        """Read a run file the index does not describe (yet) and record what it holds.

        ``known`` is ``[key]`` when the index names the file; otherwise the key is the documents' run
        id whose file name is this file's (a run file written by a writer killed before the index).
        """
        loaded = self._read(path)
        if loaded is None:
            return None
        rows = loaded.rows(table)
        if known is None:
            known = [k for k in {partition_key(d.get(PARTITION_FIELD)) for d in rows.values()}
                     if file_name(k) == path.name]
            if not known:
                log.warning("Ignoring %s: none of its documents belongs to a run named like the file", path)
                return None
        where = (table, known[0])
        self._cache(where, loaded)
        self._entries[where] = Entry.describing(rows, loaded.state)
        self._index_dirty = True
        return where

    def _read(self, path: Path) -> TableFile | None:
        """Parse one run file; ``None`` if it vanished or was unreadable (then it has been moved aside)."""
        loaded = TableFile(path)
        try:
            exists = loaded.read()
        except CorruptFileError as exc:
            self._on_corrupt(path, exc.reason)
            return None
        if not exists:
            return None
        self.reads += 1
        return loaded

    # ------------------------------------------------------------ reading

    def file(self, table: str, key: Key) -> TableFile | None:
        """The run file of ``key``, read (again) only if it changed on disk since it was read."""
        where = (table, key)
        entry = self._entries.get(where)
        if entry is None:
            return None
        cached = self._files.get(where)
        if cached is not None and (cached.dirty or not cached.changed_on_disk()):
            self._files.move_to_end(where)
            return cached
        loaded = self._read(self.folder / table / file_name(key))
        if loaded is None:
            del self._entries[where]
            self._files.pop(where, None)
            self._index_dirty = True
            return None
        self._cache(where, loaded)
        if loaded.state != entry.state:
            self._entries[where] = Entry.describing(loaded.rows(table), loaded.state)
            self._index_dirty = True
        return loaded

    def _cache(self, where: tuple[str, Key], loaded: TableFile) -> None:
        """Keep ``loaded`` as the most recent run file; forget the oldest unchanged ones beyond the limit."""
        self._files[where] = loaded
        self._files.move_to_end(where)
        for old in [w for w, f in self._files.items() if not f.dirty][:-CACHED_RUN_FILES]:
            del self._files[old]

    def keys(self, table: str) -> list[Key]:
        """Every run with a file for ``table``, oldest first (by the smallest id it holds)."""
        found = [(min((first for first, _ in entry.ids), default=0), key)
                 for (t, key), entry in self._entries.items() if t == table]
        return [key for _, key in sorted(found, key=lambda pair: pair[0])]

    def files_for(self, table: str, equals: dict[str, Any]) -> Iterator[tuple[Key, TableFile]]:
        """The run files a query can match: one run for ``run_id=...``, the holder(s) of ``_id=...``, else all."""
        if PARTITION_FIELD in equals:
            keys: list[Key] = [partition_key(equals[PARTITION_FIELD])]
        elif "_id" in equals:
            doc_id = int(equals["_id"])
            keys = [key for key in self.keys(table) if self._entries[(table, key)].holds(doc_id)]
        else:
            keys = self.keys(table)
        for key in keys:
            loaded = self.file(table, key)
            if loaded is not None:
                yield key, loaded

    def count(self, table: str) -> int:
        return sum(entry.count for (t, _), entry in self._entries.items() if t == table)

    def count_by_run(self, table: str) -> dict[Key, int]:
        return {key: self._entries[(table, key)].count for key in self.keys(table)}

    def tables(self) -> set[str]:
        return {table for table, _ in self._entries}

    # ------------------------------------------------------------ changing

    def insert(self, table: str, docs: list[dict[str, Any]]) -> list[int]:
        """Give ``docs`` the next ids of ``table`` and add each to its run's file (in memory)."""
        first = self._next_ids.get(table, 1)
        groups: dict[Key, Rows] = {}
        for offset, doc in enumerate(docs):
            groups.setdefault(partition_key(doc.get(PARTITION_FIELD)), {})[str(first + offset)] = doc
        for key, added in groups.items():
            self._add(table, key, added)
        self._next_ids[table] = first + len(docs)
        self._index_dirty = True
        return list(range(first, first + len(docs)))

    def adopt(self, table: str, rows: Rows) -> None:
        """Put documents that carry their ids already (from a version-1 main file) into their run files.

        A document whose id a run file holds already replaces it there: adopting again after a
        migration that was cut short rewrites the same files with the same content.
        """
        groups: dict[Key, Rows] = {}
        for doc_id, doc in rows.items():
            groups.setdefault(partition_key(doc.get(PARTITION_FIELD)), {})[doc_id] = doc
        for key, added in groups.items():
            self._add(table, key, added)
        if rows:
            self._next_ids[table] = max(self._next_ids.get(table, 1), max(map(int, rows)) + 1)
        self._index_dirty = True

    def changed(self, table: str, key: Key, loaded: TableFile, *, rekeyed: bool) -> None:
        """Documents of ``key``'s file were updated or removed; ``rekeyed``: maybe their ``run_id`` too."""
        loaded.touched(table)
        self._cache((table, key), loaded)  # dirty now: stays in memory until written
        rows = loaded.rows(table)
        if rekeyed:
            moving = {doc_id: doc for doc_id, doc in rows.items() if partition_key(doc.get(PARTITION_FIELD)) != key}
            for doc_id in moving:
                del rows[doc_id]
            for new_key in {partition_key(doc.get(PARTITION_FIELD)) for doc in moving.values()}:
                self._add(table, new_key, {i: d for i, d in moving.items()
                                           if partition_key(d.get(PARTITION_FIELD)) == new_key})
        self._entries[(table, key)].count = len(rows)
        self._dirty.add((table, key))
        self._index_dirty = True

    def _add(self, table: str, key: Key, added: Rows) -> None:
        where = (table, key)
        loaded = self.file(table, key)
        if loaded is None:
            loaded = TableFile(self.folder / table / file_name(key))
            self._cache(where, loaded)
        loaded.add(table, added)
        entry = self._entries.setdefault(where, Entry())
        entry.count = len(loaded.rows(table))
        entry.add_ids(map(int, added))
        self._dirty.add(where)

    # ------------------------------------------------------------ writing

    @property
    def dirty(self) -> bool:
        return bool(self._dirty) or self._index_dirty

    def write(self, timings: WriteTimings) -> None:
        """Replace every changed run file, then the index (caller holds the lock).

        A run file that no longer holds anything is deleted. ``OSError`` from a run file propagates
        (that file is unchanged; files written before it keep their change); one from the index is
        only logged, because the run files already hold the data and the next write redoes the index.
        """
        for where in sorted(self._dirty, key=_by_run):
            table, key = where
            loaded = self._files[where]
            if loaded.rows(table):
                loaded.path.parent.mkdir(parents=True, exist_ok=True)
                loaded.write(timings)
                self._entries[where].state = loaded.state
            else:
                loaded.path.unlink(missing_ok=True)
                del self._entries[where], self._files[where]
            self._dirty.discard(where)
        if self._index_dirty:
            try:
                self._write_index(timings)
            except OSError as exc:
                log.warning("Could not update %s (%s); the next write will", self.index_path, exc)

    def _write_index(self, timings: WriteTimings) -> None:
        docs = {
            str(n): {"table": table, "key": key, "count": entry.count, "ids": entry.ids,
                     "state": list(entry.state) if entry.state else None}
            for n, ((table, key), entry) in enumerate(sorted(self._entries.items(), key=_by_run), start=1)
        }
        body = orjson.dumps({"partitions": docs, "next_ids": {"1": self._next_ids}})
        self.folder.mkdir(parents=True, exist_ok=True)
        self._index_state = atomic_write(self.index_path, [body], after=self._index_state, timings=timings)
        self._index_dirty = False


def _by_run(item: tuple[tuple[str, Key], Any] | tuple[str, Key]) -> tuple[str, str]:
    """Sort key for ``(table, key)`` (or ``((table, key), value)``): table, then run id, unassigned first."""
    table, key = item[0] if isinstance(item[0], tuple) else item
    return table, "" if key is None else key
