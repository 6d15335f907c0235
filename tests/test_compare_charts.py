"""Compare's chart registry (``core.compare.charts``) on seeded runs: which charts each view holds, their
data, when a view has nothing to draw, and that every registered drawing has a figure builder."""

from __future__ import annotations

import pytest

from components.figures import DRAWINGS, chart_figure, colour_map
from core.compare.charts import VIEWS, view_charts
from core.compare.groups import build_groups, summary_frame
from core.compare.runs import model_refs
from store import Store, queries
from store.queries import get_run
from store.records import Run, Table
from tests.test_compare import LARGE, SMALL, ModelSpec, seed_run


def _measured(store: Store, run_ids: list[str]):
    runs = [get_run(store, r) for r in run_ids]
    return [g for g in build_groups(runs, {r: store.find(Table.SAMPLES, run_id=r) for r in run_ids}, model_refs(runs))
            if g.n > 0]


@pytest.fixture
def two_runs(store: Store) -> tuple[str, str, list]:
    base = seed_run(store, [ModelSpec(SMALL), ModelSpec(LARGE, speed=0.5)], seed=1, created_at="2025-01-01")
    later = seed_run(store, [ModelSpec(SMALL)], seed=2, slowdown=2.0, created_at="2025-02-01")
    return base, later, _measured(store, [base, later])


def test_each_view_lists_its_charts_with_the_frames_the_page_offers_as_csv(two_runs) -> None:
    base, _, measured = two_runs
    assert [c.name for c in view_charts("speed", measured)] == ["ttft-percentiles", "latency-percentiles",
                                                                "tokens-per-second", "latency-vs-tps"]
    assert view_charts("speed", measured)[0].data.equals(summary_frame(measured))
    assert [(c.name, c.metric) for c in view_charts("distributions", measured)] == [
        ("ttft-distribution", "ttft_s"), ("latency-distribution", "e2e_s")]
    [footprint] = view_charts("footprint", measured)
    assert list(footprint.data.columns) == ["group", "model", "device", "provider", "run", "n", "rss_load_mb",
                                            "rss_peak_mb", "disk_mb", "missing"]
    [changes] = view_charts("baseline", measured, base)
    assert set(changes.data["model"]) == {SMALL}  # only the model measured in both runs
    assert (changes.data["verdict"] == "worse").any()  # the later run is twice as slow


def test_a_view_with_nothing_to_draw_has_no_chart(store: Store) -> None:
    alone = seed_run(store, [ModelSpec(SMALL, rss_load_mb=None, disk_mb=None)], seed=3)
    run = get_run(store, alone)
    assert run is not None
    run.models[SMALL].rss_peak_mb = None  # as an endpoint's entry: its server's memory is not ours to measure
    queries.update(store, Run, run.stored_id, {"models": {ref: m.as_dict() for ref, m in run.models.items()}})
    measured = _measured(store, [alone])
    assert view_charts("footprint", measured) == []
    assert view_charts("devices", measured) == []  # one device: nothing to compare it with
    assert view_charts("baseline", measured, alone) == []  # no other run measured the same model
    gpu = seed_run(store, [ModelSpec(SMALL, device="GPU", provider="CUDAExecutionProvider", speed=3.0)], seed=4)
    [speedup] = view_charts("devices", _measured(store, [alone, gpu]))
    assert (speedup.data["speedup"] > 1).all()


def test_every_registered_chart_has_a_drawing(two_runs) -> None:
    base, _, measured = two_runs
    colours = colour_map([SMALL, LARGE])
    for view in VIEWS:
        for chart in view_charts(view, measured, base):
            assert chart.drawing in DRAWINGS
            assert chart_figure(chart, colours, style="violin").data, (view, chart.name)
