"""Native libraries' console output goes to a log file, Python's own stderr stays on the terminal.

Foundry Local's native runtime logs to the process's stderr file descriptor (2) as well as to its own
file under ``data/logs/foundry``: offline that is ``[warning] Operation failed after 4 attempts ...`` and
``[error] failed to fetch catalog from ...`` on every CLI call. Its log level cannot silence the console
alone (the same level governs the file), and the lines are written from native threads at any time, so
no redirect *around* a call can catch them. Instead, for the life of the process, descriptor 2 points at
``log_path`` and ``sys.stderr`` at a copy of the original descriptor: whatever Python prints (errors,
progress, warnings) still reaches the terminal; whatever native code writes lands in the log.

Child processes inherit descriptor 2, so a benchmark's per-model children log natively to the same file;
they report to the parent through their own pipe. Called from ``cli.py``'s entry point only: the tests
call ``cli.main`` in-process, where pytest owns the descriptors.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def route_native_output(log_path: Path) -> None:
    """Point descriptor 2 at ``log_path`` (appended) and keep ``sys.stderr`` on the original terminal.

    Does nothing when either cannot be done (no writable log folder, stderr closed): the lines then stay
    where they were, which is noisy but loses nothing."""
    try:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    except OSError:
        return
    try:
        sys.stderr.flush()
        terminal = os.dup(2)
        os.dup2(log_fd, 2)
    except OSError:
        return
    finally:
        os.close(log_fd)
    sys.stderr = os.fdopen(terminal, "w", buffering=1, encoding=sys.stderr.encoding or "utf-8",
                           errors="backslashreplace")
