"""File-level primitives for the store: read, validate, write atomically, move aside, clean up.

Nothing here knows about tables' meaning, schema versions or locking policy; ``store.db``
decides *when* to call these (always under the cross-process lock for anything that writes).

Why each piece exists:

* TinyDB's own ``JSONStorage`` truncates the file and rewrites it in place, so a writer killed
  half-way (or two writers at once) leaves truncated or interleaved JSON. ``atomic_write``
  writes a temp file in the same directory, fsyncs it and ``os.replace``-s it over the store,
  so readers only ever see a complete old file or a complete new file.
* Readers keep the parsed data in memory and re-read only when the file's ``FileState``
  changed. Every write replaces the inode, but inode numbers get reused and file timestamps
  are only as fine as the kernel tick, so ``atomic_write`` also stamps each new version with an
  mtime strictly greater than the one it replaces: two different versions can then never share
  a ``FileState``, however fast they follow each other.
* ``orjson`` instead of ``json``: a 100k-sample store is ~150 MB of JSON, and stdlib ``json``
  needs seconds to parse or encode it; orjson is 5-10x faster.
"""

from __future__ import annotations

import gc
import os
import shutil
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import orjson

#: ``"table" -> {"doc id as str" -> document}``: TinyDB's on-disk layout, kept as-is in memory.
Tables = dict[str, dict[str, dict[str, Any]]]

#: orjson options for data coming from callers: numpy scalars (metrics) and non-str keys are
#: accepted and normalised to plain JSON, like stdlib ``json.dumps`` would.
CALLER_OPTS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY

#: Temp files are ``<store name>.tmp-<pid>-<random>`` beside the store; nothing else matches.
TEMP_INFIX = ".tmp-"

#: How old a temp file must be before it is removed while another process holds the lock.
STRAY_GRACE_S = 120.0


class CorruptFileError(Exception):
    """The store file exists but is not a readable TinyDB JSON document; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FileState(NamedTuple):
    """What identifies one version of the file on disk without reading it (a tuple: cheap to make and compare)."""

    ino: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, st: os.stat_result) -> FileState:
        return cls(st.st_ino, st.st_size, st.st_mtime_ns)


def file_state(path: Path) -> FileState | None:
    """One ``stat``: the cheap "did anything change?" check done before every read."""
    try:
        return FileState.of(os.stat(path))
    except FileNotFoundError:
        return None


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while building millions of acyclic JSON objects.

    Parsing a 150 MB store with the GC on triggers hundreds of useless collections over a
    growing heap and more than doubles the parse time (measured 1.8 s -> 0.8 s).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def loads(raw: bytes | bytearray | memoryview | str) -> Any:
    """``orjson.loads`` with the GC paused (see ``gc_paused``)."""
    with gc_paused():
        return orjson.loads(raw)


def read_file(path: Path) -> tuple[Any, FileState] | None:
    """Parse the store file as JSON; ``None`` if it does not exist.

    An empty (or whitespace-only) file is returned as an empty store: it holds nothing to lose
    and is what ``TinyDB(path)`` itself creates. Bytes that are not JSON raise ``CorruptFileError``.
    The layout is NOT checked here: the caller first reads the schema version, because a file from
    a newer Pickwise may use a layout this one does not know and must be refused, not moved aside
    (then ``check_shape``). The returned ``FileState`` comes from the same open file descriptor as
    the bytes, so it describes exactly the version that was parsed.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return None
    with os.fdopen(fd, "rb") as fh:
        state = FileState.of(os.fstat(fh.fileno()))
        raw = fh.read()
    if not raw.strip():
        return {}, state
    try:
        return loads(raw), state
    except orjson.JSONDecodeError as exc:
        raise CorruptFileError(f"not valid JSON: {exc}") from None


def check_shape(data: Any) -> Tables:
    """Return ``data`` as ``Tables``; raise ``CorruptFileError`` unless it is ``{table: {"<int>": {..doc..}}}``."""
    if not isinstance(data, dict):
        raise CorruptFileError(f"the top level is a JSON {type(data).__name__}, not an object of tables")
    for name, table in data.items():
        if not isinstance(table, dict):
            raise CorruptFileError(f"table {name!r} is a JSON {type(table).__name__}, not an object")
        for doc_id, doc in table.items():
            if not doc_id.isdigit():
                raise CorruptFileError(f"table {name!r} has a non-numeric document id {doc_id!r}")
            if type(doc) is not dict:
                raise CorruptFileError(f"document {doc_id} in table {name!r} is not an object")
    return data


def encode_table_body(table: dict[str, dict[str, Any]]) -> memoryview:
    """The ``"1":{..},"2":{..}`` part of one table, without braces (a zero-copy view)."""
    return memoryview(orjson.dumps(table))[1:-1]


def iter_file_pieces(tables: Tables, bodies: dict[str, list[bytes | memoryview]]) -> Iterator[bytes | memoryview]:
    """Yield the whole file as pieces, reusing each table's already-encoded body chunks.

    Writing pieces instead of one joined ``bytes`` avoids copying ~150 MB in memory, which on
    this class of VM costs more than writing it to the page cache.
    """
    yield b"{"
    for index, name in enumerate(tables):
        yield (b"," if index else b"") + orjson.dumps(name) + b":{"
        first = True
        for chunk in bodies[name]:
            if not len(chunk):
                continue
            if not first:
                yield b","
            yield chunk
            first = False
        yield b"}"
    yield b"}"


@dataclass
class WriteTimings:
    """Where the time of the last write went, summed over the files it replaced (benchmark, diagnostics)."""

    encode_s: float = 0.0
    write_s: float = 0.0
    fsync_s: float = 0.0
    replace_s: float = 0.0
    bytes: int = 0
    files: int = 0


def atomic_write(
    path: Path, pieces: Iterable[bytes | memoryview], *, after: FileState | None, timings: WriteTimings
) -> FileState:
    """Write ``pieces`` to a temp file beside ``path``, fsync it, then ``os.replace`` it over ``path``.

    ``after`` is the version being replaced (``None`` if there is none); the new file gets an
    mtime strictly after it so the ``FileState`` of consecutive versions always differs. The
    mode of the replaced file is kept. On any failure the temp file is removed and ``path`` is
    untouched. Returns the ``FileState`` of the new version and adds its timings to ``timings``.
    """
    tmp = temp_sibling(path)
    old_link: Path | None = None
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(tmp, flags, 0o666)
    try:
        started = time.perf_counter()
        written = 0
        with os.fdopen(fd, "wb", closefd=False) as fh:
            for piece in pieces:
                written += fh.write(piece)
            fh.flush()
        with suppress(FileNotFoundError):
            os.fchmod(fd, os.stat(path).st_mode & 0o7777)
        stamp = time.time_ns()
        if after is not None and stamp <= after.mtime_ns:
            stamp = after.mtime_ns + 1_000  # 1 us: survives filesystems with us timestamps
        os.utime(fd, ns=(stamp, stamp))
        synced = time.perf_counter()
        os.fsync(fd)
        replaced = time.perf_counter()
        state = FileState.of(os.fstat(fd))
        os.close(fd)
        fd = -1
        old_link = link_old_version(path)
        os.replace(tmp, path)
        fsync_dir(path.parent)
        if old_link is not None:
            unlink_in_background(old_link)
        timings.write_s += synced - started
        timings.fsync_s += replaced - synced
        timings.replace_s += time.perf_counter() - replaced
        timings.bytes += written
        timings.files += 1
        return state
    except BaseException:
        if fd >= 0:
            os.close(fd)
        for leftover in (tmp, old_link):
            if leftover is not None:
                with suppress(FileNotFoundError):
                    os.unlink(leftover)
        raise


def temp_sibling(path: Path) -> Path:
    """A fresh ``<name>.tmp-<pid>-<hex>`` path beside ``path`` (the only pattern clean-up removes)."""
    return path.with_name(f"{path.name}{TEMP_INFIX}{os.getpid()}-{os.urandom(4).hex()}")


def link_old_version(path: Path) -> Path | None:
    """Give the version about to be replaced a second (temp-pattern) name.

    Then ``os.replace`` does not free its blocks: dropping the last link to a 150 MB file costs
    ~0.1 s on ext4 (more with ``discard``), which this moves off the writer's critical path into
    ``unlink_in_background``. If the process dies first, the link is a stray temp file that the
    next open removes. ``None`` when there is no old version or no hard-link support.
    """
    link = temp_sibling(path)
    try:
        os.link(path, link)
    except OSError:
        return None
    return link


def unlink_in_background(path: Path) -> None:
    """Remove ``path`` from a (non-daemon, so it finishes before exit) thread."""

    def unlink() -> None:
        with suppress(OSError):
            os.unlink(path)

    threading.Thread(target=unlink, name="pickwise-store-unlink").start()


def fsync_dir(directory: Path) -> None:
    """Make a rename durable (POSIX only; a no-op where directories cannot be opened)."""
    try:
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


def utc_stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S")


def free_sibling(path: Path, suffix: str) -> Path:
    """``<path><suffix>``, or ``<path><suffix>-2`` etc.: a name that does not exist yet."""
    candidate = path.with_name(path.name + suffix)
    counter = 2
    while candidate.exists():
        candidate = path.with_name(f"{path.name}{suffix}-{counter}")
        counter += 1
    return candidate


def move_aside(path: Path, label: str) -> Path:
    """Rename ``path`` to a free ``<path>.<label>-<UTC stamp>`` name and return it (never clobbers).

    Callers hold the store lock, so nobody else creates the chosen name in between.
    """
    target = free_sibling(path, f".{label}-{utc_stamp()}")
    os.rename(path, target)
    fsync_dir(path.parent)
    return target


def backup_copy(path: Path, label: str) -> Path:
    """Copy ``path`` byte-for-byte to a free ``<path>.<label>-<UTC stamp>`` name, fsynced."""
    target = free_sibling(path, f".{label}-{utc_stamp()}")
    with open(path, "rb") as src, open(target, "xb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
        dst.flush()
        os.fsync(dst.fileno())
    shutil.copymode(path, target)
    fsync_dir(path.parent)
    return target


def remove_stray_temps(
    folder: Path, *, owner: str | None, lock_held: bool, grace_s: float = STRAY_GRACE_S
) -> list[Path]:
    """Delete temp files a killed writer left in ``folder``; return what was removed.

    Only names made by ``atomic_write`` (``<name>.tmp-<pid>-<hex>``) are considered, and with
    ``owner`` only those of that file (the main file's folder may hold other programs' files;
    the store's own folders hold nothing else). With the store lock held nobody can be writing
    one, so all are stray; without it, only those older than ``grace_s`` are removed, in case a
    live writer is still filling one.
    """
    removed: list[Path] = []
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return removed
    for entry in entries:
        name, infix, tail = entry.name.rpartition(TEMP_INFIX)
        if not infix or not _looks_like_temp(tail) or (owner is not None and name != owner):
            continue
        try:
            if not lock_held and now - entry.stat(follow_symlinks=False).st_mtime < grace_s:
                continue
            os.unlink(entry.path)
        except FileNotFoundError:
            continue
        removed.append(Path(entry.path))
    return removed


def _looks_like_temp(tail: str) -> bool:
    pid, sep, token = tail.partition("-")
    return bool(sep) and pid.isdigit() and len(token) == 8 and all(c in "0123456789abcdef" for c in token)
