"""Counts that agree: runs are counted and labelled by kind (benchmarks, probes, judging jobs) everywhere.

Each probe is stored as a run, so a store holding only probes once made the sidebar say "5 runs" while the
Benchmark page said "No benchmark runs yet".
"""

from __future__ import annotations

from pathlib import Path

from core.jobs import record_job
from store import Store
from store.queries import judging_job_count, run_counts
from store.records import JobKinds, Table
from tests.conftest import open_app
from tests.test_compare import ModelSpec, seed_run


def _probes_only(store: Store, n: int) -> None:
    for i in range(n):
        run_id = seed_run(store, [ModelSpec(f"fake:m{i}")], prompts=1, rounds=1, warmup=0, seed=i)
        store.update_where(Table.RUNS, {"kind": "probe"}, run_id=run_id)


def test_a_store_of_probes_has_no_benchmark_runs_in_the_sidebar_home_or_benchmark_page(app_store: Path) -> None:
    store = Store(app_store)
    _probes_only(store, 3)
    record_job(store, JobKinds.JUDGE, {}, label="judge")
    assert run_counts(store) == {"probe": 3} and judging_job_count(store) == 1

    bench = open_app("app_pages/benchmark.py").run()
    assert not bench.exception
    line = next(c.value for c in bench.sidebar.caption if "benchmark run" in c.value)
    assert line.startswith("0 benchmark runs · 3 probes · 1 judging job · 3 samples")
    empty = next(i.value for i in bench.info if "No benchmark runs yet" in i.value)
    assert "3 stored probes" in empty

    home = open_app().run()
    metrics = {m.label: m.value for m in home.metric}
    assert (metrics["Benchmark runs"], metrics["Probes"]) == ("0", "3")
