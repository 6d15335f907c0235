"""How long does the Compare page take to render with 50 runs of 1,000 samples in the store?

Target: under 1.5 s per render (AppTest run time, a fair proxy for the server-side work of one rerun).
Seeds a temporary store with ``--runs`` completed runs (two models each, alternating CPU and GPU, the
shape ``core.benchmark.runner`` writes) and times: a cold first render (empty Streamlit caches), warm reruns
with the default selection (the newest three runs), the first and second opening of every other tab
(tabs run lazily: only the open one), and a render with ``--wide`` runs selected.
It first times what a server pays once per process (imports, parsing the store), so the cold figure
can be read as "once per process" plus "once per selection". Once per selection, building the plotly
figures (validation) and the bootstrap intervals dominate; ``app_pages/compare.py`` caches both per
selection and store state, so reruns only re-send the cached figures.

Run: ``.venv/bin/python benchmarks/compare_render.py [--runs 50] [--samples 1000] [--reps 5] [--wide 10]``
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from streamlit.testing.v1 import AppTest  # noqa: E402

from core.paths import REPO_ROOT  # noqa: E402
from store import Store  # noqa: E402
from store.records import Table
from tests.test_compare import ModelSpec, seed_run  # noqa: E402

PAGE = str(REPO_ROOT / "app_pages" / "compare.py")
MODELS_PER_RUN = 2


def seed(store: Store, runs: int, samples: int) -> None:
    """``runs`` runs, each ``samples`` samples: 2 models x 10 prompts x rounds (+1 warm-up round)."""
    prompts = 10
    rounds = samples // (MODELS_PER_RUN * prompts) - 1
    for i in range(runs):
        device = {"device": "GPU", "provider": "CUDAExecutionProvider", "speed": 3.0} if i % 2 else {}
        models = [ModelSpec("foundry-local:small:1", **device), ModelSpec("ollama:large", speed=0.5)]
        seed_run(store, models, prompts=prompts, rounds=rounds, seed=i,
                 created_at=f"2026-03-{1 + i // 24:02d}T{i % 24:02d}:00:00+00:00")


def render(at: AppTest) -> float:
    started = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - started
    if at.exception:
        raise RuntimeError(at.exception[0].message)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--wide", type=int, default=10)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "pickwise.json")
        t0 = time.perf_counter()
        seed(store, args.runs, args.samples)
        print(f"seeded {store.count(Table.RUNS)} runs, {store.count(Table.SAMPLES)} samples in "
              f"{time.perf_counter() - t0:.1f} s ({os.path.getsize(store.path) / 2**20:.0f} MB)")
        os.environ["PICKWISE_DB"] = str(store.path)
        once_per_process(store.path)

        at = AppTest.from_file(PAGE, default_timeout=120)
        print(f"cold first render (default: newest 3 runs): {render(at):.3f} s")
        warm = [render(at) for _ in range(args.reps)]
        print(f"warm rerun, newest 3 runs: median {statistics.median(warm):.3f} s, max {max(warm):.3f} s")

        for tab in ("Distributions", "Memory and disk", "With and without GPU", "Against a baseline", "Responses"):
            at.session_state["cmp-tab"] = tab
            print(f"first open of tab {tab!r}: {render(at):.3f} s, then {render(at):.3f} s")
        at.session_state["cmp-tab"] = "Speed"

        wide = sorted(r["run_id"] for r in store.all(Table.RUNS))[: args.wide]
        at.multiselect(key="cmp-runs").set_value(wide)
        print(f"first render with {args.wide} runs selected: {render(at):.3f} s")
        many = [render(at) for _ in range(args.reps)]
        print(f"warm rerun, {args.wide} runs: median {statistics.median(many):.3f} s")



def once_per_process(path: Path) -> None:
    """What a server pays once, not per render: importing plotly and kaleido, and parsing the store."""
    started = time.perf_counter()
    importlib.import_module("components.chart_export")
    importlib.import_module("components.figures")
    imported = time.perf_counter()
    Store(path).count(Table.RUNS)
    print(f"once per server process: imports {imported - started:.3f} s, "
          f"opening the store {time.perf_counter() - imported:.3f} s")


if __name__ == "__main__":
    main()
