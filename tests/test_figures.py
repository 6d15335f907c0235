"""Figure builders on stored-run-shaped data: traces, axis titles, colours, and numbers from core.benchmark.metrics."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from components.figures import (
    PALETTE,
    THEME,
    baseline_change_figure,
    colour_map,
    distribution_figure,
    footprint_figure,
    group_label,
    latency_tps_figure,
    percentile_figure,
    speedup_figure,
    tps_figure,
)
from core.compare.baseline import baseline_change_frame
from core.compare.devices import device_speedup_frame
from core.compare.groups import build_groups, distribution_frame, summary_frame
from core.compare.runs import model_refs
from store import Store
from store.queries import get_run, run_samples
from store.records import Table
from tests.test_compare import LARGE, SMALL, ModelSpec, seed_run

GPU = {"device": "GPU", "provider": "CUDAExecutionProvider", "speed": 3.0}


@pytest.fixture
def groups(store: Store):
    cpu = seed_run(store, [ModelSpec(SMALL), ModelSpec(LARGE, speed=0.5, rss_load_mb=None)], seed=1, rounds=4)
    gpu = seed_run(store, [ModelSpec(SMALL, **GPU)], seed=2, rounds=4)
    runs = [get_run(store, r) for r in (cpu, gpu)]
    return build_groups(runs, {r.run_id: run_samples(store, r.run_id) for r in runs}, model_refs(runs))


@pytest.fixture
def colours() -> dict[str, str]:
    return colour_map([SMALL, LARGE])


def _traces_of(fig, model: str) -> list:
    return [t for t in fig.data if t.legendgroup == model or t.name == model]


def test_colours_are_stable_per_model() -> None:
    assert colour_map([SMALL, LARGE, SMALL]) == {SMALL: PALETTE[0], LARGE: PALETTE[1]}
    many = colour_map(f"m{i}" for i in range(len(PALETTE) + 1))
    assert many[f"m{len(PALETTE)}"] == PALETTE[0]  # cycles rather than failing


def test_tps_bars_carry_the_core_metrics_interval(groups, colours) -> None:
    summary = summary_frame(groups)
    fig = tps_figure(summary, colours)
    assert fig.layout.xaxis.title.text == "Tokens/s (mean, 95% CI)"
    assert fig.layout.template == THEME
    small = _traces_of(fig, SMALL)[0]
    assert small.marker.color == colours[SMALL]
    cpu_small = next(g for g in groups if g.model_ref == SMALL and g.device == "CPU")
    tps = cpu_small.metric("decode_tps")
    i = next(k for k, label in enumerate(small.y) if label.startswith(group_label(summary.iloc[0]) + "<br>mean"))
    assert small.x[i] == tps["mean"]
    assert small.x[i] + small.error_x.array[i] == pytest.approx(tps["ci95_high"])
    assert small.x[i] - small.error_x.arrayminus[i] == pytest.approx(tps["ci95_low"])
    assert all(f"n={g.n}" in label for g, label in zip(groups, [group_label(r) for _, r in summary.iterrows()],
                                                          strict=True))


def test_percentile_bars_show_p50_and_p95(groups, colours) -> None:
    summary = summary_frame(groups)
    fig = percentile_figure(summary, "e2e_s", colours)
    assert fig.layout.xaxis.title.text == "End-to-end latency (s)"
    names = [t.name for t in fig.data]
    assert names == [f"{SMALL} p50", f"{SMALL} p95", f"{LARGE} p50", f"{LARGE} p95"]
    large_p95 = fig.data[3]
    assert large_p95.x[0] == groups[1].metric("e2e_s")["p95"]
    assert large_p95.marker.pattern.shape == "/"
    assert "n=" in large_p95.y[0]
    e2e = groups[1].metric("e2e_s")  # the median's interval as error bars; a p95 below 72 samples has none
    large_p50 = fig.data[2]
    assert large_p50.x[0] + large_p50.error_x.array[0] == e2e["p50_ci95_high"]
    assert large_p50.x[0] - large_p50.error_x.arrayminus[0] == e2e["p50_ci95_low"]
    assert e2e["p95_ci95_high"] is None and all(v is None or math.isnan(v) for v in large_p95.error_x.array)


def test_distribution_draws_every_measured_sample(groups, colours) -> None:
    data = distribution_frame(groups, "ttft_s")
    box = distribution_figure(data, "ttft_s", colours)
    assert [t.type for t in box.data] == ["box"] * 3
    assert sum(len(t.x) for t in box.data) == sum(g.n for g in groups)
    assert box.data[0].boxpoints == "all"
    assert [t.showlegend for t in box.data] == [True, True, False]  # one legend entry per model
    violin = distribution_figure(data, "ttft_s", colours, kind="violin")
    assert [t.type for t in violin.data] == ["violin"] * 3
    assert violin.layout.xaxis.title.text == "Time to first token (s), log scale"  # 0.04-0.6 s: 15 times
    assert violin.layout.xaxis.type == "log"


def test_scatter_has_one_point_per_group_and_marks_the_best_corner(groups, colours) -> None:
    fig = latency_tps_figure(summary_frame(groups), colours)
    assert sum(len(t.x) for t in fig.data if t.legendgroup != "devices") == len(groups)
    small = _traces_of(fig, SMALL)[0]
    assert list(small.marker.symbol) == ["circle", "diamond"]  # CPU, GPU
    assert fig.layout.xaxis.title.text == "End-to-end latency p50 (s)"
    assert any("faster" in a.text for a in fig.layout.annotations)
    assert len(fig.layout.shapes) == 1


def test_footprint_panels_and_missing_figures(groups, colours) -> None:
    fig = footprint_figure(summary_frame(groups), colours)
    assert [a.text for a in fig.layout.annotations] == ["Memory added at load (MB)",
                                                        "Peak memory added while answering (MB)", "Disk (MB)"]
    large_load = next(t for t in fig.data if t.name == LARGE and t.type == "scatter")  # the first panel's
    assert [text.strip() for text in large_load.text] == ["not measurable: remote endpoint"]


def test_speedup_and_baseline_figures(groups, colours, store: Store) -> None:
    speedups = device_speedup_frame(groups)
    fig = speedup_figure(speedups, colours)
    assert len(fig.data) == 3  # one panel per metric, one model with a second device
    e2e = speedups.set_index("metric").loc["e2e_s"]
    bar = fig.data[[a.text for a in fig.layout.annotations].index("Latency")]
    assert bar.x[0] == e2e["speedup"]
    assert bar.x[0] + bar.error_x.array[0] == pytest.approx(e2e["ci95_high"])
    assert fig.layout.xaxis3.title.text == "× faster"  # under the bottom panel

    base = [g for g in groups if g.device == "CPU"]
    changes = baseline_change_frame(base, base)  # a run against itself is not a comparison
    assert changes.empty
    rerun = seed_run(store, [ModelSpec(SMALL)], seed=5, rounds=4, slowdown=1.5)
    again = build_groups([get_run(store, rerun)], {rerun: store.find(Table.SAMPLES, run_id=rerun)}, [SMALL])
    changes = baseline_change_frame(base, again)
    fig = baseline_change_figure(changes, colours)
    assert np.isclose(fig.data[0].x[0], changes["change_pct"].iloc[0])
    assert "worse" in fig.data[0].y[0]  # on the label: at the bar's end the error bar would cross it


def test_tokens_per_second_across_50_to_2000_gets_a_log_axis_and_says_so(colours) -> None:
    """Long-tailed throughput (issue 12): a 40-times spread would leave the slow model a sliver on a linear axis."""
    summary = pd.DataFrame([
        {"group": f"g{i}", "model": model, "device": "CPU", "run": "r1", "n": 12, "tps_mean": tps,
         "tps_ci95_low": tps * 0.9, "tps_ci95_high": tps * 1.1, "e2e_p50_s": 100 / tps}
        for i, (model, tps) in enumerate([(SMALL, 2000.0), (LARGE, 50.0)])])
    fig = tps_figure(summary, colours)
    assert fig.layout.xaxis.type == "log" and fig.layout.xaxis.title.text == "Tokens/s (mean, 95% CI), log scale"
    scatter = latency_tps_figure(summary, colours)
    assert scatter.layout.yaxis.type == "log" and scatter.layout.yaxis.title.text.endswith("log scale")
    assert scatter.layout.xaxis.type == "log"  # latency 0.05-2 s as well
    rect = scatter.layout.shapes[0]
    assert rect.x1 == pytest.approx(np.log10(np.median(summary["e2e_p50_s"])))  # log axes take powers of ten
    close = summary.assign(tps_mean=[60.0, 50.0], tps_ci95_low=[55.0, 45.0], tps_ci95_high=[65.0, 55.0])
    linear = tps_figure(close, colours)
    assert linear.layout.xaxis.type is None and linear.layout.xaxis.title.text == "Tokens/s (mean, 95% CI)"
