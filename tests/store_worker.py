"""A separate process that writes to a store, for tests/test_store.py's multi-process tests.

Usage: ``python tests/store_worker.py MODE STORE_PATH GO_FILE [ARGS...]``. Every mode waits
until ``GO_FILE`` exists, so all workers start writing at the same moment instead of one
after another as their interpreters finish starting.

Modes:
  insert WRITER N BATCH   insert N docs {"writer", "seq"}, BATCH per insert_many call
  loop                    insert {"seq": i, "pad": ...} forever, printing i after each, until killed
  increment N             N transactions that each add 1 to counters doc 1's "value"
  claim WRITER            one transaction: create the running job unless there is one; print won/lost
  touch                   insert one {"from": "worker"} doc, print its id
  hold                    take the store lock, print "holding", keep it until killed
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from store import Store  # noqa: E402
from store.records import Table


def wait_for(go_file: Path) -> None:
    deadline = time.monotonic() + 20
    while not go_file.exists():
        if time.monotonic() > deadline:
            raise SystemExit("go file never appeared")
        time.sleep(0.002)


def main(argv: list[str]) -> None:
    mode, path, go = argv[0], Path(argv[1]), Path(argv[2])
    args = argv[3:]
    store = Store(path)
    print("ready", flush=True)
    wait_for(go)
    if mode == "insert":
        writer, total, batch = args[0], int(args[1]), int(args[2])
        for start in range(0, total, batch):
            store.insert_many(Table.SAMPLES, [{"writer": writer, "seq": i} for i in range(start, start + batch)])
    elif mode == "loop":
        pad = "x" * 100_000  # big docs: each write takes long enough for the kill to land in it
        seq = 0
        while True:
            store.insert(Table.SAMPLES, {"seq": seq, "pad": pad})
            print(seq, flush=True)
            seq += 1
    elif mode == "increment":
        for _ in range(int(args[0])):
            with store.transaction():
                counter = store.get("counters", 1)
                assert counter is not None
                store.update("counters", 1, {"value": counter["value"] + 1})
    elif mode == "claim":
        with store.transaction():
            if store.find(Table.JOBS, state="running"):
                print("lost", flush=True)
            else:
                store.insert(Table.JOBS, {"state": "running", "owner": args[0]})
                print("won", flush=True)
    elif mode == "hold":
        with store.transaction():
            print("holding", flush=True)
            time.sleep(3600)
    elif mode == "touch":
        print(store.insert(Table.SAMPLES, {"from": "worker"}), flush=True)
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main(sys.argv[1:])
