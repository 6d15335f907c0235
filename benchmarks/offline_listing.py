"""What a new user without internet waits for: ``cli.py models list`` and the Models page's endpoint listings.

* **models list**: wall time of ``python cli.py models list`` in a fresh interpreter (imports, Foundry Local's
  start, the local catalog, exit) with the network as it is; ``--repo`` runs another checkout's ``cli.py``
  (e.g. the code before the fix, from ``git archive``), always on a fresh data folder of its own, warmed by one
  untimed call (the first start creates Foundry Local's folders). Also counts the native ``[warning]`` /
  ``[error]`` lines that reached stderr.
* **listing with a hanging endpoint**: one endpoint whose server accepts the connection and never answers
  (a listening socket nobody accepts from); the time ``Sources.listings()`` (in line, as the page did) and
  ``BackgroundListings.listings()`` (what the page does now) take to return.

    .venv/bin/python benchmarks/offline_listing.py [--repeat 5] [--repo PATH] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.models.listings import BackgroundListings  # noqa: E402
from core.models.sources import Sources, add_endpoint  # noqa: E402
from core.paths import REPO_ROOT  # noqa: E402
from store import Store  # noqa: E402


def models_list_seconds(repo: Path, repeat: int) -> tuple[list[float], int]:
    """Wall times of ``cli.py models list`` and the native log lines its stderr carried (all runs)."""
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "PICKWISE_DATA": str(Path(folder) / "data")}
        argv = [sys.executable, "cli.py", "--db", str(Path(folder) / "db.json"), "models", "list"]
        subprocess.run(argv, cwd=repo, env=env, capture_output=True, check=False)  # creates the folders
        times, native = [], 0
        for _ in range(repeat):
            started = time.perf_counter()
            done = subprocess.run(argv, cwd=repo, env=env, capture_output=True, text=True, check=False)
            times.append(time.perf_counter() - started)
            native += sum(line.startswith(("[warning]", "[error]")) for line in done.stderr.splitlines())
        return times, native


def hanging_listing_seconds() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder, socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        store = Store(Path(folder) / "db.json")
        add_endpoint(store, "stuck", f"http://127.0.0.1:{silent.getsockname()[1]}/v1")
        sources = Sources(store, None)
        started = time.perf_counter()
        sources.listings()
        inline = time.perf_counter() - started
        background = BackgroundListings()
        started = time.perf_counter()
        background.listings(sources)
        first = time.perf_counter() - started
        return {"inline_s": inline, "background_first_s": first}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--repo", type=Path, default=REPO_ROOT)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    times, native = models_list_seconds(args.repo, args.repeat)
    result = {"models_list_median_s": statistics.median(times), "models_list_max_s": max(times),
              "native_lines": native, "runs": args.repeat}
    if args.repo == REPO_ROOT:
        result |= hanging_listing_seconds()
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:22s} {value:.3f}" if isinstance(value, float) else f"{key:22s} {value}")


if __name__ == "__main__":
    main()
