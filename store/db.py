"""``Store``: the one place Pickwise reads and writes its TinyDB JSON files.

Why not TinyDB's own classes: TinyDB is neither thread- nor process-safe (its JSON storage
truncates and rewrites the file in place; 4 threads were enough to corrupt it), its tables
cache ``next id`` and query results across writes from other processes, and each of its
writes re-keys the whole table (~0.1 s at 100k samples). ``Store`` keeps TinyDB's file format
(``{table: {"<int id>": doc}}``, every file readable by ``tinydb.TinyDB(path)``) and replaces
the engine:

* the store is a small main file (runs, jobs, grades, ...) plus one file per run for the tables
  that grow with every request, ``samples`` and ``judgments`` (``store.partitions``): callers
  see one table either way, a write replaces only the files it changed, and ``find(table,
  run_id=X)`` reads only run X's file;
* every change runs under a ``threading.RLock`` (threads) plus a ``filelock`` lock file beside
  the main file (processes), reads the latest files first if another process changed them, and
  replaces each changed file with ONE atomic write (``store.storage.atomic_write``), so
  concurrent writers never lose each other's documents and a killed writer never leaves a
  half-written file. A change that spans several files (samples of two runs, or samples and a
  run in one ``transaction``) is written file by file, run files first and the main file last:
  a writer killed (or refused by the disk) in between leaves the files before it changed;
* parsed files stay in memory (``store.tablefile``); a read costs a ``stat`` or two unless a
  file it needs changed on disk, and then only that file is read again;
* the main file carries a schema version (``_meta``); older stores are migrated forward once
  (``store.migrations``), newer ones are refused, unreadable files are moved aside (never
  deleted) with a ``RecoveryNotice`` for the UI to show;
* every failure a user can meet (newer file, lock held too long, disk full, read-only, no
  permission) is one ``store.errors.StoreError`` whose message says what to do, raised before
  the file concerned is replaced, so what it stored stays intact.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NamedTuple

import orjson
from filelock import FileLock, Timeout

from store import migrations as mig
from store.errors import StoreBusyError, StoreIOError, StoreReadError, StoreVersionError, StoreWriteError
from store.partitions import PARTITION_FIELD, PARTITIONED_TABLES, Key, Partitions
from store.storage import (
    CALLER_OPTS,
    CorruptFileError,
    FileState,
    Tables,
    WriteTimings,
    backup_copy,
    check_shape,
    file_state,
    loads,
    move_aside,
    read_file,
    remove_stray_temps,
)
from store.tablefile import Rows, TableFile

log = logging.getLogger(__name__)

ID_KEY = "_id"
_MISSING = object()


@dataclass(frozen=True)
class RecoveryNotice:
    """An unreadable store file was moved aside; ``lost`` says what reads as empty until it is restored."""

    path: Path
    moved_to: Path
    reason: str
    lost: str = "a new empty store was started"

    def __str__(self) -> str:
        return (
            f"The store file {self.path} could not be read ({self.reason}); it was moved to "
            f"{self.moved_to} and {self.lost}. Nothing was deleted: to get the old data back, stop "
            f"Pickwise, repair {self.moved_to.name} (or restore a backup) and move it back to {self.path}."
        )


class _Found(NamedTuple):
    """What ``_inspect`` saw in the main file and what has to happen before it can be used."""

    tables: Tables | None
    state: FileState | None
    action: str | None  # None (use as is), "create", "migrate", "corrupt"
    version: int | None = None
    reason: str = ""


class _Query(NamedTuple):
    """``field=value`` conditions normalised once: the wanted id (``_id=``) and the other fields."""

    doc_key: str | None
    fields: list[tuple[str, Any]]


class Store:
    """A TinyDB-format JSON store that is safe across threads and processes.

    Documents are plain JSON objects; every returned document is a fresh deep copy with its
    integer id under ``"_id"`` (the id is never stored as a field, and an ``"_id"`` passed in
    is ignored). Table names starting with ``_`` are reserved for the store itself.
    Ids are TinyDB's: 1, 2, ... per table. In the main file's tables a new id is one more than the
    largest present; ``samples`` and ``judgments`` keep one sequence across all their run files
    and never reuse an id (see ``store.partitions``).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        migrations: Sequence[mig.Migration] | None = None,
        lock_timeout: float = 30.0,
    ) -> None:
        """Open the store whose main file is ``path``, creating it (and its folder) if missing.

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
        self._main = TableFile(self.path)
        self._parts = Partitions(self.path, self._run_file_unreadable)
        self._next_ids: dict[str, int] = {}
        self._depth = 0
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
        """Add documents with ONE write of each file they go to and return their ids, in order.

        Documents are copied through JSON first, so later changes to the caller's objects do not
        leak in, and anything not JSON-serialisable raises ``TypeError`` before anything changes.
        """
        _check_table(table)
        clean = _normalise_docs(docs)
        if not clean:
            return []
        with self.transaction():
            if table in PARTITIONED_TABLES:
                return self._parts.insert(table, clean)
            first = self._next_id(table)
            self._main.add(table, {str(first + offset): doc for offset, doc in enumerate(clean)})
            self._next_ids[table] = first + len(clean)
        return list(range(first, first + len(clean)))

    def update(self, table: str, doc_id: int, fields: Mapping[str, Any]) -> None:
        """Set ``fields`` on one document (others keep their values); ``KeyError`` if it is gone."""
        _check_table(table)
        clean = _normalise_fields(fields)
        with self.transaction():
            if not self._change(table, {ID_KEY: doc_id}, lambda rows, key: rows[key].update(clean),
                                rekeyed=PARTITION_FIELD in clean):
                raise KeyError(f"no document {doc_id} in table {table!r}")

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
            return self._change(table, equals, lambda rows, key: rows[key].update(clean),
                                rekeyed=PARTITION_FIELD in clean)

    def remove(self, table: str, doc_id: int) -> None:
        """Delete one document; ``KeyError`` if it does not exist (so double deletes are visible)."""
        _check_table(table)
        with self.transaction():
            if not self._change(table, {ID_KEY: doc_id}, lambda rows, key: rows.pop(key), rekeyed=False):
                raise KeyError(f"no document {doc_id} in table {table!r}")

    def remove_where(self, table: str, /, **equals: Any) -> int:
        """Delete every document whose fields equal ``equals``; return how many (at least one condition)."""
        _check_table(table)
        if not equals:
            raise ValueError("remove_where needs at least one field=value condition")
        with self.transaction():
            return self._change(table, equals, lambda rows, key: rows.pop(key), rekeyed=False)

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
                self._sync(writing=True)
                self._depth = 1
                try:
                    yield self
                    if self._main.dirty or self._parts.dirty:
                        self._write()
                except BaseException:
                    self._discard()
                    raise
                finally:
                    self._depth = 0

    # ------------------------------------------------------------------ reads

    def all(self, table: str) -> list[dict[str, Any]]:
        """Every document of ``table`` in insertion order (``[]`` for an unknown table)."""
        return self.find(table)

    def find(self, table: str, /, **equals: Any) -> list[dict[str, Any]]:
        """Documents whose fields equal every ``field=value`` given (all documents if none).

        On ``samples`` and ``judgments``, ``run_id=X`` reads only run X's file.
        """
        with self._mutex:
            self._sync()
            query = _query(equals)
            found: list[tuple[str, dict[str, Any]]] = []
            shards = self._shards(table, equals)
            for _key, loaded in shards:
                rows = loaded.rows(table)
                found.extend((key, rows[key]) for key in _matching(rows, query))
            if table in PARTITIONED_TABLES:  # across run files (or after a move): insertion = id order
                found.sort(key=lambda pair: int(pair[0]))
            return _copies(found)

    def get(self, table: str, doc_id: int) -> dict[str, Any] | None:
        """One document by id, or ``None``."""
        found = self.find(table, **{ID_KEY: doc_id})
        return found[0] if found else None

    def count(self, table: str) -> int:
        """Number of documents in ``table`` (0 if unknown); reads no run file, copies nothing."""
        with self._mutex:
            self._sync()
            if table in PARTITIONED_TABLES:
                return self._parts.count(table)
            return len(self._main.rows(table))

    def count_by_run(self, table: str) -> dict[str | None, int]:
        """Documents per ``run_id`` of ``samples`` or ``judgments`` (``None``: without a run), from the index."""
        if table not in PARTITIONED_TABLES:
            raise ValueError(f"{table!r} is not kept per run; count_by_run works on {sorted(PARTITIONED_TABLES)}")
        with self._mutex:
            self._sync()
            return self._parts.count_by_run(table)

    def counts(self) -> dict[str, int]:
        """Document count of every user table present (``_meta`` etc. excluded); reads no run file."""
        with self._mutex:
            self._sync()
            found = {name: len(rows) for name, rows in self._main.tables.items() if not name.startswith("_")}
            return found | {table: self._parts.count(table) for table in sorted(self._parts.tables())}

    @property
    def stats(self) -> dict[str, Any]:
        """Files parsed and replaced by this object and the timing of the last write (diagnostics)."""
        with self._mutex:
            return {"file_reads": self._reads + self._parts.reads, "file_writes": self._writes,
                    "last_write": dict(self._last_write)}

    # -------------------------------------------------------------- internals

    def _shards(self, table: str, equals: Mapping[str, Any]) -> list[tuple[Key, TableFile]]:
        """The files a query on ``table`` must look at: the main file, or the run files it needs."""
        if table in PARTITIONED_TABLES:
            return list(self._parts.files_for(table, dict(equals)))
        return [(None, self._main)]

    def _change(self, table: str, equals: Mapping[str, Any], edit: Callable[[Rows, str], object], *,
                rekeyed: bool) -> int:
        """Apply ``edit(rows, key)`` to every matching document (inside a transaction); return how many."""
        query = _query(equals)
        changed = 0
        for shard_key, loaded in self._shards(table, equals):
            rows = loaded.rows(table)
            keys = _matching(rows, query)
            for key in keys:
                edit(rows, key)
            if not keys:
                continue
            changed += len(keys)
            if table in PARTITIONED_TABLES:
                self._parts.changed(table, shard_key, loaded, rekeyed=rekeyed)
            else:
                self._main.touched(table)
        return changed

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
            removed = self._remove_temps(lock_held=False)
        except OSError as exc:
            self.read_only = StoreWriteError(self.path, exc)
            return
        else:
            try:
                removed = self._remove_temps(lock_held=True)
            finally:
                self._flock.release()
        for path in removed:
            log.warning("Removed %s, left behind by a Pickwise process that was killed while writing", path)

    def _remove_temps(self, *, lock_held: bool) -> list[Path]:
        folders = [self._parts.folder, *(self._parts.folder / table for table in sorted(PARTITIONED_TABLES))]
        removed = remove_stray_temps(self.path.parent, owner=self.path.name, lock_held=lock_held)
        for folder in folders:
            removed += remove_stray_temps(folder, owner=None, lock_held=lock_held)
        return removed

    def _sync(self, *, writing: bool = False) -> None:
        """Re-read what another process (or Store object) changed since we last looked.

        A writer (holding the lock, about to change things) also checks every run file against the
        index, so what a killed writer left behind is counted before any new id is handed out.
        """
        if self._depth:
            return  # we hold the lock: the files cannot change, and memory may hold our pending edits
        state = file_state(self.path)
        if state is None or state != self._main.state:
            self._load()
        self._parts.sync(writing=writing)

    def _inspect(self) -> _Found:
        """Read the main file and decide what it needs; raise ``StoreVersionError`` if it is too new.

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
        if version < self.schema_version or PARTITIONED_TABLES & tables.keys():
            return _Found(tables, state, "migrate", version)
        return _Found(tables, state, None, version)

    def _load(self) -> None:
        """Bring memory up to date with the main file, creating, migrating or recovering it if needed.

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
            previous = found.state or self._main.state
            if found.action is None:
                self._install(found.tables or {}, found.state)
                return
            moved: Tables = {}
            if found.action == "migrate":
                assert found.tables is not None and found.version is not None
                tables = self._migrated(found.tables, found.version)
                moved = {name: tables.pop(name) for name in sorted(PARTITIONED_TABLES & tables.keys())}
            else:
                self._start_empty(found)
                tables = mig.new_tables(self.schema_version)
            self._install(tables, previous)
            self._main.dirty = True
            try:
                self._parts.sync(writing=True)
                for name, rows in moved.items():
                    self._parts.adopt(name, rows)
                self._write()  # run files first: if this is cut short, the old main file still holds them
            except BaseException:
                self._discard()  # memory must not claim a migration/creation the disk never got
                raise

    def _migrated(self, tables: Tables, version: int) -> Tables:
        """Back the main file up, then run the migrations from ``version`` (nothing is written yet)."""
        with self._refused(StoreWriteError):
            backup = backup_copy(self.path, f"v{version}-backup")
        tables = mig.migrate(tables, version, self._migrations)
        tables = loads(orjson.dumps(tables, option=CALLER_OPTS))  # plain JSON, like a re-read
        check_shape(tables)
        log.warning("Migrated %s from schema version %s to %s; the old file is kept as %s",
                    self.path, version, self.schema_version, backup)
        return tables

    def _start_empty(self, found: _Found) -> None:
        """Before a new main file: move an unreadable one aside, and any run folder it leaves behind.

        Run files belong to the main file that lists their runs; a new, empty store must not show
        samples of runs it does not have, so they are moved aside with it (``...runs.corrupt-...``),
        or as ``...runs.orphaned-...`` when the main file was simply gone.
        """
        with self._refused(StoreWriteError):
            if found.action == "corrupt":
                moved = move_aside(self.path, "corrupt")
                self.recovered = RecoveryNotice(self.path, moved, found.reason)
                log.error("%s", self.recovered)
            if self._parts.folder.exists():
                label = "corrupt" if found.action == "corrupt" else "orphaned"
                log.warning("Moved %s aside as %s", self._parts.folder, move_aside(self._parts.folder, label))
        self._parts.forget()

    def _run_file_unreadable(self, path: Path, reason: str) -> None:
        """A run file does not parse: move it aside (under the lock) so the run reads as empty, and say so."""
        with self._locked(), self._refused(StoreWriteError):
            try:
                TableFile(path).read()
                return  # another process replaced (or removed) it meanwhile
            except CorruptFileError:
                moved = move_aside(path, "corrupt")
        self.recovered = RecoveryNotice(path, moved, reason, lost="that run's documents read as empty")
        log.error("%s", self.recovered)

    def _install(self, tables: Tables, state: FileState | None) -> None:
        if mig.META_TABLE not in tables:  # pre-versioning file: stamp it on the next write
            mig.stamp_version(tables, self.schema_version)
        self._main.install(tables, state)
        self._next_ids = {}

    def _discard(self) -> None:
        """Forget in-memory edits; the next call re-reads the files."""
        self._main.forget()
        self._parts.forget()
        self._next_ids = {}

    def _write(self) -> None:
        """Write every changed file, run files first, main file last (caller holds the lock)."""
        timings = WriteTimings()
        with self._refused(StoreWriteError):
            if self._parts.dirty:
                self._parts.write(timings)
            if self._main.dirty:
                self._main.write(timings)
        self._writes += timings.files
        self._last_write = asdict(timings)

    def _next_id(self, table: str) -> int:
        if table not in self._next_ids:
            self._next_ids[table] = max(map(int, self._main.rows(table)), default=0) + 1
        return self._next_ids[table]


def _query(equals: Mapping[str, Any]) -> _Query:
    """Normalise conditions like stored values (tuples become lists, numpy scalars plain numbers)."""
    wanted = dict(equals)
    doc_key = _key(wanted.pop(ID_KEY)) if ID_KEY in wanted else None
    try:
        wanted = loads(orjson.dumps(wanted, option=CALLER_OPTS)) if wanted else {}
    except orjson.JSONEncodeError as exc:
        raise TypeError(f"query value is not JSON-serialisable: {exc}") from None
    return _Query(doc_key, list(wanted.items()))


def _matching(rows: Rows, query: _Query) -> list[str]:
    """Keys of documents in ``rows`` that satisfy ``query`` (``_id`` matches the document id)."""
    if query.doc_key is not None:
        if query.doc_key not in rows:
            return []
        rows = {query.doc_key: rows[query.doc_key]}
    if not query.fields:
        return list(rows)
    if len(query.fields) == 1:
        field, value = query.fields[0]
        return [key for key, doc in rows.items() if doc.get(field, _MISSING) == value]
    return [key for key, doc in rows.items() if all(doc.get(f, _MISSING) == v for f, v in query.fields)]


def _copies(found: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Deep copies (one orjson round trip: far cheaper than ``copy.deepcopy``) plus ``_id``."""
    copies = loads(orjson.dumps([doc for _, doc in found]))
    for copy, (key, _) in zip(copies, found, strict=True):
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
