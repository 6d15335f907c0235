"""Other work on the machine, on purpose: processes spinning on the CPU, for measurements under load.

The issue that asked for bunched-arrival detection came from a busy 2-core machine; this is how a test or
a benchmark script (``benchmarks/busy_stream.py``) makes one.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def busy_cores(count: int = 2) -> Iterator[None]:
    """``count`` processes spinning on the CPU for as long as the block runs."""
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
