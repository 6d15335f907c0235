"""Writing an export where the user asked: the whole file or nothing, and one sentence when not.

A regular file (new or existing) is written to a temp file beside it and moved into place by the
store's ``atomic_write`` (fsync, ``os.replace``, mode kept), so a full disk or a crash leaves the
old file or no file, never half a report. A path that exists but is not a regular file
(``/dev/stdout``, a FIFO, ``/dev/full``) is written in place instead: it cannot be replaced
atomically, and as root ``os.replace`` would swap the device node itself for a plain file. Writing
it can still fail (``/dev/full``: no space left), and that is reported like any other failure.
Callers record what the file describes only after ``write_output`` returns.
"""

from __future__ import annotations

import os
from pathlib import Path

from store.storage import WriteTimings, atomic_write


class OutputError(ValueError):
    """The file could not be written; the message says why and what to do, in one sentence."""


def write_output(path: str | os.PathLike[str], content: bytes) -> None:
    """Write ``content`` to ``path`` completely, or raise ``OutputError`` leaving nothing behind."""
    target = Path(os.path.realpath(path))  # through symlinks: the file is replaced, the link kept
    if target.is_dir():
        raise OutputError(f"{os.fspath(path)} is a folder; give a file path inside it.")
    if not target.parent.is_dir():
        raise OutputError(f"{Path(path).parent} is not an existing folder; create it or write the file elsewhere.")
    try:
        if target.exists() and not target.is_file():
            with open(target, "wb") as fh:
                fh.write(content)
        else:
            atomic_write(target, [content], after=None, timings=WriteTimings())
    except OSError as exc:
        raise OutputError(f"Cannot write {os.fspath(path)}: {exc.strerror or exc}.") from None
