"""The start page's "next thing to do" follows what the store holds."""

from __future__ import annotations

from core.journey import next_step
from store import Store
from store.records import Table


def test_next_step_moves_from_probe_to_benchmark(store: Store) -> None:
    assert next_step(store).page == "app_pages/models.py"
    store.insert(Table.RUNS, {"run_id": "p", "kind": "probe", "status": "failed"})
    assert next_step(store).page == "app_pages/models.py", "a failed probe is not a model that answers"
    store.insert(Table.RUNS, {"run_id": "q", "kind": "probe", "status": "completed"})
    assert next_step(store).page == "app_pages/benchmark.py"
    assert "benchmark them" in next_step(store).text
    store.insert(Table.RUNS, {"run_id": "b", "kind": "benchmark", "status": "completed"})
    assert next_step(store).page == "app_pages/compare.py"


def test_a_benchmark_without_a_probe_still_counts(store: Store) -> None:
    store.insert(Table.RUNS, {"run_id": "b", "kind": "benchmark", "status": "completed"})
    assert next_step(store).page == "app_pages/compare.py"
