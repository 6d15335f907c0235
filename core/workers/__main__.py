"""``python -m core.workers JOB_ID``: run one stored job in this process (``core.workers.spawn`` starts it).

SIGTERM means Cancel from the first line on, before the store and the job's modules are imported, so a Cancel
sent the moment the job starts is not lost (and does not kill the worker half-started).
"""

from __future__ import annotations

import signal
import sys
import threading


def run() -> int:
    cancel = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: cancel.set())
    if len(sys.argv) != 2:
        print("usage: python -m core.workers JOB_ID", file=sys.stderr)
        return 2
    from core.workers.worker import main

    return main(sys.argv[1], cancel)


if __name__ == "__main__":
    sys.exit(run())
