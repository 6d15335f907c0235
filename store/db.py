"""``Store``: the one place Pickwise reads and writes its TinyDB JSON file.

Why not TinyDB's own classes: TinyDB is neither thread- nor process-safe (its JSON storage
truncates and rewrites the file in place; 4 threads were enough to corrupt it), its tables
cache ``next id`` and query results across writes from other processes, and each of its
writes re-keys the whole table (~0.1 s at 100k samples). ``Store`` keeps TinyDB's file format
(``{table: {"<int id>": doc}}``, readable by ``tinydb.TinyDB(path)``) and replaces the engine:

* every change runs under a ``threading.RLock`` (threads) plus a ``filelock`` lock file beside
  the store (processes), reads the latest file first if another process changed it, and ends
  in ONE atomic write (``store.storage.atomic_write``), so concurrent writers never lose each
  other's documents and a killed writer never leaves a half-written store;
* the parsed file stays in memory; a read costs one ``stat`` unless the file changed on disk;
* each table's encoded JSON is cached too, and inserts only append to it, so storing a batch
  of samples encodes the batch, not the 100k samples already there;
* the file carries a schema version (``_meta``); older files are migrated forward once
  (``store.migrations``), newer ones are refused, unreadable ones are moved aside (never
  deleted) and a fresh store is started, with a ``RecoveryNotice`` for the UI to show;
* every failure a user can meet (newer file, lock held too long, disk full, read-only, no
  permission) is one ``store.errors.StoreError`` whose message says what to do, raised before
  the file is replaced, so what was stored stays intact.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NamedTuple

import orjson
from filelock import FileLock, Timeout

from store import migrations as mig
from store.errors import StoreBusyError, StoreIOError, StoreReadError, StoreVersionError, StoreWriteError
from store.storage import (
    CALLER_OPTS,
    CorruptFileError,
    FileState,
    Tables,
    WriteTimings,
    atomic_write,
    backup_copy,
    check_shape,
    encode_table_body,
    file_state,
    iter_file_pieces,
    loads,
    move_aside,
    read_file,
    remove_stray_temps,
)

log = logging.getLogger(__name__)

ID_KEY = "_id"
_MISSING = object()


@dataclass(frozen=True)
class RecoveryNotice:
    """An unreadable store file was moved aside and an empty store started in its place."""

    path: Path
    moved_to: Path
    reason: str

    def __str__(self) -> str:
        return (
            f"The store file {self.path} could not be read ({self.reason}); it was moved to "
            f"{self.moved_to} and a new empty store was started. Nothing was deleted: to get the "
            f"old data back, stop Pickwise, repair {self.moved_to.name} (or restore a backup) and "
            f"move it back to {self.path}."
        )


class _Found(NamedTuple):
    """What ``_inspect`` saw on disk and what has to happen before it can be used."""

    tables: Tables | None
    state: FileState | None
    action: str | None  # None (use as is), "create", "migrate", "corrupt"
    version: int | None = None
    reason: str = ""


class Store:
    """A TinyDB-format JSON store that is safe across threads and processes.

    Documents are plain JSON objects; every returned document is a fresh deep copy with its
    integer id under ``"_id"`` (the id is never stored as a field, and an ``"_id"`` passed in
    is ignored). Table names starting with ``_`` are reserved for the store itself.
    Ids are TinyDB's: 1, 2, ... per table (a new id is one more than the largest present).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        migrations: Sequence[mig.Migration] | None = None,
        lock_timeout: float = 30.0,
    ) -> None:
        """Open ``path``, creating it (and its folder) if missing.

        ``migrations`` replaces ``store.migrations.MIGRATIONS`` (tests). ``lock_timeout`` bounds
        how long any call waits for another process's write before raising ``StoreBusyError``
        instead of hanging the UI. Raises ``StoreVersionError`` for a file from a newer Pickwise and
        ``StoreWriteError`` when a missing file cannot be created. A store that can be read but not
        written (read-only disk) opens, with the reason in ``read_only`` for the UI to show.
        """
        self.path = Path(path).expanduser().resolve()
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.recovered: RecoveryNotice | None = None
        self.read_only: StoreWriteError | None = None
        self._migrations = list(mig.MIGRATIONS if migrations is None else migrations)
        self.schema_version = mig.current_version(self._migrations)
        self._lock_timeout = lock_timeout
        self._mutex = threading.RLock()
        # thread_local=False: the RLock already lets one thread at a time in, and nested
        # acquisitions (transaction -> insert) must share one counter.
        self._flock = FileLock(self.lock_path, timeout=lock_timeout, thread_local=False, preserve_lock_file=True)
        self._tables: Tables = {}
        self._state: FileState | None = None
        self._bodies: dict[str, list[bytes | memoryview]] = {}
        self._next_ids: dict[str, int] = {}
        self._depth = 0
        self._dirty = False
        self._reads = 0
        self._writes = 0
        self._last_write: dict[str, float] = {}
        with self._refused(StoreWriteError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._remove_strays()
        with self._mutex:
            self._load()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # ----------------------------------------------------------------- writes

    def insert(self, table: str, doc: Mapping[str, Any]) -> int:
        """Add one document and return its id. Prefer ``insert_many`` for batches: one write each."""
        return self.insert_many(table, [doc])[0]

    def insert_many(self, table: str, docs: Sequence[Mapping[str, Any]]) -> list[int]:
        """Add documents with ONE file write and return their ids, in order.

        Documents are copied through JSON first, so later changes to the caller's objects do not
        leak in, and anything not JSON-serialisable raises ``TypeError`` before anything changes.
        """
        _check_table(table)
        clean = _normalise_docs(docs)
        if not clean:
            return []
        with self.transaction():
            rows = self._tables.setdefault(table, {})
            first = self._next_id(table)
            added = {str(first + offset): doc for offset, doc in enumerate(clean)}
            rows.update(added)
            self._next_ids[table] = first + len(clean)
            body = self._bodies.get(table)
            if body is not None:
                body.append(encode_table_body(added))
            self._dirty = True
        return list(range(first, first + len(clean)))

    def update(self, table: str, doc_id: int, fields: Mapping[str, Any]) -> None:
        """Set ``fields`` on one document (others keep their values); ``KeyError`` if it is gone."""
        _check_table(table)
        clean = _normalise_fields(fields)
        with self.transaction():
            rows = self._tables.get(table, {})
            key = _key(doc_id)
            if key not in rows:
                raise KeyError(f"no document {doc_id} in table {table!r}")
            rows[key].update(clean)
            self._touched(table)

    def update_where(self, table: str, fields: Mapping[str, Any], /, **equals: Any) -> int:
        """Set ``fields`` on every document whose fields equal ``equals``; return how many.

        At least one condition is required, so a forgotten filter cannot rewrite a whole table.
        Nothing is written when nothing matches.
        """
        _check_table(table)
        if not equals:
            raise ValueError("update_where needs at least one field=value condition")
        clean = _normalise_fields(fields)
        with self.transaction():
            keys = self._matching(table, equals)
            rows = self._tables.get(table, {})
            for key in keys:
                rows[key].update(clean)
            if keys:
                self._touched(table)
        return len(keys)

    def remove(self, table: str, doc_id: int) -> None:
        """Delete one document; ``KeyError`` if it does not exist (so double deletes are visible)."""
        _check_table(table)
        with self.transaction():
            rows = self._tables.get(table, {})
            key = _key(doc_id)
            if key not in rows:
                raise KeyError(f"no document {doc_id} in table {table!r}")
            del rows[key]
            self._touched(table)

    def remove_where(self, table: str, /, **equals: Any) -> int:
        """Delete every document whose fields equal ``equals``; return how many (at least one condition)."""
        _check_table(table)
        if not equals:
            raise ValueError("remove_where needs at least one field=value condition")
        with self.transaction():
            keys = self._matching(table, equals)
            rows = self._tables.get(table, {})
            for key in keys:
                del rows[key]
            if keys:
                self._touched(table)
        return len(keys)

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Hold the lock across several calls and write once at the end.

        For read-modify-write sequences that must not interleave with other writers, e.g.
        "claim the job unless one is already running". Inside the block every read sees the
        block's own changes; other threads and processes wait. If the block raises, nothing is
        written and the in-memory copy is reloaded from disk. Nested blocks join the outer one.
        """
        with self._mutex:
            if self._depth:
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            with self._locked():
                self._sync()
                self._depth = 1
                try:
                    yield self
                    if self._dirty:
                        self._write()
                except BaseException:
                    self._discard()
                    raise
                finally:
                    self._depth = 0

    # ------------------------------------------------------------------ reads

    def all(self, table: str) -> list[dict[str, Any]]:
        """Every document of ``table`` in insertion order (``[]`` for an unknown table)."""
        with self._mutex:
            self._sync()
            rows = self._tables.get(table, {})
            return self._copies(rows, list(rows))

    def find(self, table: str, /, **equals: Any) -> list[dict[str, Any]]:
        """Documents whose fields equal every ``field=value`` given (all documents if none)."""
        with self._mutex:
            self._sync()
            rows = self._tables.get(table, {})
            keys = self._matching(table, equals) if equals else list(rows)
            return self._copies(rows, keys)

    def get(self, table: str, doc_id: int) -> dict[str, Any] | None:
        """One document by id, or ``None``."""
        with self._mutex:
            self._sync()
            rows = self._tables.get(table, {})
            key = _key(doc_id)
            return self._copies(rows, [key])[0] if key in rows else None

    def count(self, table: str) -> int:
        """Number of documents in ``table`` (0 if unknown); no copying."""
        with self._mutex:
            self._sync()
            return len(self._tables.get(table, {}))

    def counts(self) -> dict[str, int]:
        """Document count of every user table present in the file (``_meta`` etc. excluded)."""
        with self._mutex:
            self._sync()
            return {name: len(rows) for name, rows in self._tables.items() if not name.startswith("_")}

    @property
    def stats(self) -> dict[str, Any]:
        """File reads/writes done by this object and the timing of the last write (diagnostics)."""
        with self._mutex:
            return {"file_reads": self._reads, "file_writes": self._writes, "last_write": dict(self._last_write)}

    # -------------------------------------------------------------- internals

    @contextmanager
    def _refused(self, error: type[StoreIOError]) -> Iterator[None]:
        """Turn the operating system's refusal (``OSError``) into ``error``: one sentence for the user."""
        try:
            yield
        except OSError as exc:
            raise error(self.path, exc) from exc

    @contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            self._flock.acquire()
        except Timeout:  # a TimeoutError, hence an OSError: test it first
            raise StoreBusyError(self.lock_path, self._lock_timeout) from None
        except OSError as exc:  # the lock file cannot be created: nothing can be written
            raise StoreWriteError(self.path, exc) from exc
        try:
            yield
        finally:
            self._flock.release()

    def _remove_strays(self) -> None:
        """Delete temp files of killed writers: all of them if we can take the lock right now.

        This is also where a store that cannot be written shows first (the lock file cannot be
        created): that is recorded in ``read_only`` and opening goes on, because reading needs no lock.
        """
        try:
            self._flock.acquire(timeout=0)
        except Timeout:
            removed = remove_stray_temps(self.path, lock_held=False)
        except OSError as exc:
            self.read_only = StoreWriteError(self.path, exc)
            return
        else:
            try:
                removed = remove_stray_temps(self.path, lock_held=True)
            finally:
                self._flock.release()
        for path in removed:
            log.warning("Removed %s, left behind by a Pickwise process that was killed while writing", path)

    def _sync(self) -> None:
        """Re-read the file if another process (or Store object) changed it since we last looked."""
        if self._depth:
            return  # we hold the lock: the file cannot change, and memory may hold our pending edits
        state = file_state(self.path)
        if state is None or state != self._state:
            self._load()

    def _inspect(self) -> _Found:
        """Read the file and decide what it needs; raise ``StoreVersionError`` if it is too new.

        The version is checked before the layout: a newer Pickwise may store a table differently,
        and its file must be refused untouched, never mistaken for a corrupt one and moved aside.
        """
        try:
            with self._refused(StoreReadError):
                found = read_file(self.path)
        except CorruptFileError as exc:
            return _Found(None, file_state(self.path), "corrupt", reason=exc.reason)
        if found is None:
            return _Found(None, None, "create")
        self._reads += 1
        data, state = found
        declared = mig.declared_version(data)
        if declared is not None and declared > self.schema_version:
            raise StoreVersionError(self.path, declared, self.schema_version)
        try:
            tables = check_shape(data)
            version = mig.read_version(tables)
        except CorruptFileError as exc:
            return _Found(None, state, "corrupt", reason=exc.reason)
        except ValueError as exc:
            return _Found(None, state, "corrupt", reason=str(exc))
        if version is None:
            return _Found(tables, state, "create")
        if version < self.schema_version:
            return _Found(tables, state, "migrate", version)
        return _Found(tables, state, None, version)

    def _load(self) -> None:
        """Bring memory up to date with the file, creating, migrating or recovering it if needed.

        The common case (a valid current file) needs no lock: writers replace the file
        atomically, so what we read is always a complete version. Anything that writes takes
        the lock and looks again, because another process may have fixed it meanwhile.
        """
        found = self._inspect()
        if found.action is None:
            self._install(found.tables or {}, found.state)
            return
        with self._locked():
            found = self._inspect()
            previous = found.state or self._state
            if found.action is None:
                self._install(found.tables or {}, found.state)
                return
            if found.action == "migrate":
                assert found.tables is not None and found.version is not None
                with self._refused(StoreWriteError):
                    backup = backup_copy(self.path, f"v{found.version}-backup")
                tables = mig.migrate(found.tables, found.version, self._migrations)
                tables = loads(orjson.dumps(tables, option=CALLER_OPTS))  # plain JSON, like a re-read
                check_shape(tables)
                log.warning(
                    "Migrated %s from schema version %s to %s; the old file is kept as %s",
                    self.path,
                    found.version,
                    self.schema_version,
                    backup,
                )
            else:
                if found.action == "corrupt":
                    with self._refused(StoreWriteError):
                        moved = move_aside(self.path, "corrupt")
                    self.recovered = RecoveryNotice(self.path, moved, found.reason)
                    log.error("%s", self.recovered)
                tables = mig.new_tables(self.schema_version)
            self._install(tables, previous)
            try:
                self._write()
            except BaseException:
                self._discard()  # memory must not claim a migration/creation the disk never got
                raise

    def _install(self, tables: Tables, state: FileState | None) -> None:
        if mig.META_TABLE not in tables:  # pre-versioning file: stamp it on the next write
            mig.stamp_version(tables, self.schema_version)
        self._tables = tables
        self._state = state
        self._bodies = {}
        self._next_ids = {}
        self._dirty = False

    def _discard(self) -> None:
        """Forget in-memory edits; the next call re-reads the file."""
        self._tables = {}
        self._state = None
        self._bodies = {}
        self._next_ids = {}
        self._dirty = False

    def _write(self) -> None:
        """Write all tables in one atomic replace (caller holds the lock)."""
        started = time.perf_counter()
        for name, rows in self._tables.items():
            if name not in self._bodies:
                self._bodies[name] = [encode_table_body(rows)]
        encoded = time.perf_counter()
        timings = WriteTimings()
        with self._refused(StoreWriteError):
            self._state = atomic_write(
                self.path, iter_file_pieces(self._tables, self._bodies), after=self._state, timings=timings
            )
        self._dirty = False
        self._writes += 1
        self._last_write = {"encode_s": encoded - started, **asdict(timings)}

    def _touched(self, table: str) -> None:
        """A document of ``table`` changed in place: its cached encoding is stale."""
        self._bodies.pop(table, None)
        self._dirty = True

    def _next_id(self, table: str) -> int:
        if table not in self._next_ids:
            self._next_ids[table] = max(map(int, self._tables.get(table, {})), default=0) + 1
        return self._next_ids[table]

    def _matching(self, table: str, equals: Mapping[str, Any]) -> list[str]:
        """Keys of documents whose fields equal ``equals`` (``_id`` matches the document id)."""
        rows = self._tables.get(table, {})
        wanted = dict(equals)
        if ID_KEY in wanted:
            key = _key(wanted.pop(ID_KEY))
            if key not in rows:
                return []
            rows = {key: rows[key]}
        try:  # compare like with like: tuples become lists, numpy scalars plain numbers
            wanted = loads(orjson.dumps(wanted, option=CALLER_OPTS)) if wanted else {}
        except orjson.JSONEncodeError as exc:
            raise TypeError(f"query value is not JSON-serialisable: {exc}") from None
        if not wanted:
            return list(rows)
        wanted = list(wanted.items())
        if len(wanted) == 1:
            field, value = wanted[0]
            return [key for key, doc in rows.items() if doc.get(field, _MISSING) == value]
        return [key for key, doc in rows.items() if all(doc.get(f, _MISSING) == v for f, v in wanted)]

    @staticmethod
    def _copies(rows: dict[str, dict[str, Any]], keys: list[str]) -> list[dict[str, Any]]:
        """Deep copies (one orjson round trip: far cheaper than ``copy.deepcopy``) plus ``_id``."""
        copies = loads(orjson.dumps([rows[key] for key in keys]))
        for copy, key in zip(copies, keys, strict=True):
            copy[ID_KEY] = int(key)
        return copies


def _check_table(table: str) -> None:
    if not isinstance(table, str) or not table:
        raise ValueError(f"table name must be a non-empty string, not {table!r}")
    if table.startswith("_"):
        raise ValueError(f"table names starting with '_' are reserved for the store ({table!r})")


def _key(doc_id: int) -> str:
    return str(int(doc_id))


def _normalise_docs(docs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Deep-copy documents into plain JSON values; drop any ``_id``; ``TypeError`` if impossible."""
    plain = []
    for doc in docs:
        if not isinstance(doc, Mapping):
            raise TypeError(f"documents must be mappings, not {type(doc).__name__}")
        plain.append(doc if type(doc) is dict else dict(doc))
    try:
        clean = loads(orjson.dumps(plain, option=CALLER_OPTS))
    except orjson.JSONEncodeError as exc:
        raise TypeError(f"document is not JSON-serialisable: {exc}") from None
    for doc in clean:
        doc.pop(ID_KEY, None)
    return clean


def _normalise_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    return _normalise_docs([fields])[0]
