"""Real failing disks for the store-failure tests: a small tmpfs that fills up, and one remounted read-only.

Root ignores permission bits, so "read-only" has to come from the file system itself. Mounting needs
root and a kernel that allows it here; without either the tests that use these skip with the reason.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def tmpfs(folder: Path, size: str = "2m") -> Iterator[Path]:
    """A fresh tmpfs of ``size`` mounted on ``folder`` for the block (skips when mounting is impossible)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def remount_read_only(folder: Path) -> None:
    """Make the tmpfs at ``folder`` read-only (root cannot write to it either)."""
    subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
    probe = folder / ".write-probe"
    try:
        probe.write_bytes(b"x")
    except OSError as exc:
        assert exc.errno == errno.EROFS
    else:
        raise AssertionError(f"{folder} is still writable after remount,ro")


def disk_full_at(limit_bytes: int):
    """An ``os.fsync`` that fails with ENOSPC for files larger than ``limit_bytes``: a disk with room for
    exactly that much store (what a full disk or quota reports when the data is flushed)."""
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if os.fstat(fd).st_size > limit_bytes:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    return fsync
