"""The store's one error family: every failure a user can meet says what happened and what to do.

Callers (the CLI's ``main``, the app's shared frame) catch ``StoreError`` and show ``str(exc)`` as
it is: one sentence, no traceback. Every error is raised before or instead of replacing the file,
so whatever the store held before the failed call is still there, byte for byte.
"""

from __future__ import annotations

import errno
from pathlib import Path

#: How to point Pickwise at another store file; every "what to do" ends with it.
ELSEWHERE = "or point PICKWISE_DB / --db at another store file"


class StoreError(Exception):
    """Base of every error the store raises on purpose; the message is for the user."""


class StoreRecordError(StoreError):
    """A stored document does not fit its record: a hand-edited file, or one a faulty version wrote.

    Raised on read instead of a validation traceback; nothing is changed, so the user can repair the
    field named in the message (or restore a backup) and try again."""

    def __init__(self, record: str, doc_id: object, problem: str) -> None:
        self.record = record
        super().__init__(
            f"The store holds a {record} record (id {doc_id}) that this Pickwise cannot read ({problem}). "
            f"Nothing was changed: fix that field in the store file or restore a backup, {ELSEWHERE}."
        )


class StoreVersionError(StoreError):
    """The file was written by a newer Pickwise; this one refuses to read or touch it."""

    def __init__(self, path: Path, file_version: int, supported_version: int) -> None:
        self.path = path
        self.file_version = file_version
        self.supported_version = supported_version
        super().__init__(
            f"The store file {path} uses schema version {file_version}, but this Pickwise only "
            f"understands up to version {supported_version}. Upgrade Pickwise to open it "
            f"({ELSEWHERE}). The file was not changed."
        )


class StoreBusyError(StoreError, TimeoutError):
    """Another process held the store lock for longer than the lock timeout."""

    def __init__(self, lock_path: Path, timeout_s: float) -> None:
        self.lock_path = lock_path
        super().__init__(
            f"Another Pickwise process has held the store lock {lock_path} for more than {timeout_s:g} s, "
            f"so nothing was saved: wait for it to finish and try again, or stop the stuck process."
        )


class StoreIOError(StoreError):
    """The operating system refused to read or write the store (disk full, read-only, no permission).

    ``errno`` is the cause's error number, so callers and tests can tell the cases apart.
    """

    def __init__(self, path: Path, cause: OSError, *, writing: bool) -> None:
        self.path = path
        self.errno = cause.errno
        super().__init__(_sentence(path, cause, writing=writing))


class StoreWriteError(StoreIOError):
    """A write was refused (ENOSPC, EDQUOT, EROFS, EACCES, EPERM, ...); nothing of it was saved."""

    def __init__(self, path: Path, cause: OSError) -> None:
        super().__init__(path, cause, writing=True)


class StoreReadError(StoreIOError):
    """The store file exists but could not be read (no permission, I/O error)."""

    def __init__(self, path: Path, cause: OSError) -> None:
        super().__init__(path, cause, writing=False)


def _sentence(path: Path, cause: OSError, *, writing: bool) -> str:
    folder = path.parent
    if not writing:
        return (f"Pickwise cannot read the store file {path} ({cause.strerror or cause}): give this user "
                f"read access to it, {ELSEWHERE}.")
    kept = "nothing was saved and everything stored before is intact"
    if cause.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"The disk holding {folder} is full, so {kept}: free some space, {ELSEWHERE}, then try again."
    if cause.errno == errno.EROFS:
        return (f"The store folder {folder} is on a read-only file system, so {kept}: make it writable, "
                f"{ELSEWHERE}, then try again.")
    if cause.errno in (errno.EACCES, errno.EPERM):
        return (f"Pickwise may not write in {folder} (permission denied), so {kept}: give this user write "
                f"access to the folder and the store file, {ELSEWHERE}, then try again.")
    return (f"Writing the store file {path} failed ({cause.strerror or cause}), so {kept}: fix the cause, "
            f"then try again.")
