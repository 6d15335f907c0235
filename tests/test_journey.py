"""The start page's "next thing to do" follows what the store holds."""

from __future__ import annotations

from core.journey import next_step
from store import Store, queries
from store.records import Run


def _run(store: Store, run_id: str, kind: str, status: str) -> None:
    queries.insert(store, Run.build({"run_id": run_id, "kind": kind, "status": status,
                                     "created_at": "2026-03-01T10:00:00+00:00", "settings": {}, "environment": {},
                                     "prompt_set": {"name": "s", "prompts": []}, "models": {}}))


def test_next_step_moves_from_probe_to_benchmark(store: Store) -> None:
    assert next_step(store).page == "app_pages/models.py"
    _run(store, "p", "probe", "failed")
    assert next_step(store).page == "app_pages/models.py", "a failed probe is not a model that answers"
    _run(store, "q", "probe", "completed")
    assert next_step(store).page == "app_pages/benchmark.py"
    assert "benchmark them" in next_step(store).text
    _run(store, "b", "benchmark", "completed")
    assert next_step(store).page == "app_pages/compare.py"


def test_a_benchmark_without_a_probe_still_counts(store: Store) -> None:
    _run(store, "b", "benchmark", "completed")
    assert next_step(store).page == "app_pages/compare.py"
