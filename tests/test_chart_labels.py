"""Chart text that cannot collide, and empty cells that say why (issue 16), on the figures themselves.

The browser tour (``tests/test_browser_tour.py``) measures the laid-out text in chromium; these pin the rules
that keep it apart, quickly: long model ids shortened on labels with the full id in the hover, no on-point
labels on scatters, no legend beside category charts, panels stacked full width, and a missing memory or disk
figure named with its reason instead of an empty row or a 0.
"""

from __future__ import annotations

import pandas as pd
import pytest

from components.figures import (
    baseline_change_figure,
    chart_figure,
    colour_map,
    footprint_figure,
    latency_tps_figure,
    percentile_figure,
    speedup_figure,
    tps_figure,
)
from core.chart_theme import SHORT_LABEL, short_labels
from core.compare.baseline import baseline_change_frame
from core.compare.charts import REMOTE_FOOTPRINT, view_charts
from core.compare.devices import device_speedup_frame
from core.compare.groups import build_groups, summary_frame
from core.compare.runs import NO_DEVICE, model_refs
from core.decide.charts import pareto_figure, win_probability_figure
from core.decide.pareto import Pareto, ParetoPoint
from store import Store
from store.queries import get_run, run_samples
from tests.test_compare import ModelSpec, seed_run

LONG = [f"foundry-local:deepseek-r1-distill-qwen-{i}.5b-instruct-generic-cpu:3" for i in range(4)]
ENDPOINT = "vllm-gpu-box:meta-llama/Llama-3.1-8B-Instruct"
MODELS = [*LONG, ENDPOINT, "ollama:mistral:7b", "foundry-local:phi-4-mini-instruct-generic-cpu:1",
          "foundry-local:qwen2.5-0.5b-instruct-generic-cpu:4"]


@pytest.fixture
def eight(store: Store):
    """Eight models in two CPU runs and one GPU variant; the endpoint measures no memory and reports no device."""
    specs = [ModelSpec(ref, speed=0.5 + i / 3, device="" if ref.split(":")[0] not in {"foundry-local"} else "cpu",
                       rss_load_mb=None if ref.startswith(("vllm", "ollama")) else 500.0 + i,
                       disk_mb=None if ref.startswith(("vllm", "ollama")) else 300.0, family=f"fam{i}")
             for i, ref in enumerate(MODELS)]
    base = seed_run(store, specs, seed=1)
    later = seed_run(store, specs, seed=2, slowdown=1.2)
    gpu = seed_run(store, [ModelSpec(MODELS[0], device="GPU", provider="CUDAExecutionProvider", speed=3.0,
                                     family="fam0")], seed=3)
    runs = [get_run(store, r) for r in (base, later, gpu)]
    groups = build_groups(runs, {r.run_id: run_samples(store, r.run_id) for r in runs}, model_refs(runs))
    return base, groups


def test_long_ids_are_shortened_distinctly_and_short_ones_kept() -> None:
    names = short_labels(MODELS)
    assert len(set(names.values())) == len(MODELS)  # never two models on one category
    assert names["ollama:mistral:7b"] == "ollama:mistral:7b"
    assert len(names[ENDPOINT]) == SHORT_LABEL and names[ENDPOINT].startswith("vllm-gpu-box:meta-llama/")
    assert all(ref.startswith(names[ref].split("…")[0]) and ref.endswith(names[ref].split("…")[1]) for ref in MODELS
               if "…" in names[ref])  # the beginning and the end of the id, nothing made up
    # the four differ only in the middle ("-qwen-0.5b-", "-qwen-1.5b-"): cut longer until they differ
    assert all(SHORT_LABEL < len(names[ref]) < len(ref) for ref in LONG)
    clash = ["src:" + "x" * 40 + "a-end", "src:" + "x" * 40 + "b-end"]  # differ one character from the end
    assert len(set(short_labels(clash).values())) == 2


def test_category_charts_have_short_labels_full_ids_on_hover_and_no_legend(eight) -> None:
    _, groups = eight
    colours = colour_map(MODELS)
    summary = summary_frame(groups)
    for fig in (percentile_figure(summary, "e2e_s", colours), tps_figure(summary, colours)):
        assert fig.layout.showlegend is False  # the label names the model; a legend would squeeze the plot
        labels = {label for trace in fig.data for label in trace.y}
        assert not any(ENDPOINT in label for label in labels)
        assert any(short_labels(MODELS)[ENDPOINT] in label for label in labels)
        assert any(LONG[0] in trace.hovertemplate for trace in fig.data)


def test_the_scatter_names_points_in_the_legend_and_hover_not_on_the_points(eight) -> None:
    _, groups = eight
    fig = latency_tps_figure(summary_frame(groups), colour_map(MODELS))
    assert all(trace.mode == "markers" for trace in fig.data)  # no "unknown CPU · n=18" written over a neighbour
    assert fig.layout.legend.orientation == "h" and fig.layout.legend.yanchor == "bottom"  # under the plot
    assert {t.name for t in fig.data if t.legendgroup == "devices"} == {"CPU", "GPU", NO_DEVICE}
    endpoint = next(t for t in fig.data if t.legendgroup == ENDPOINT)
    assert ENDPOINT in endpoint.hovertemplate and NO_DEVICE in endpoint.customdata[0]


def test_panels_stack_full_width_so_their_titles_never_meet(eight, store: Store) -> None:
    base, groups = eight
    colours = colour_map(MODELS)
    changes = baseline_change_frame([g for g in groups if g.run_id == base],
                                    [g for g in groups if g.run_id != base])
    [footprint] = view_charts("footprint", groups)
    for fig in (footprint_figure(footprint.data, colours), speedup_figure(device_speedup_frame(groups), colours),
                baseline_change_figure(changes, colours)):
        axes = [fig.layout[name] for name in fig.layout if name.startswith("xaxis")]
        assert len(axes) == 3 and all(list(axis.domain) == [0.0, 1.0] for axis in axes)
        assert len({a.y for a in fig.layout.annotations}) == 3  # one title over each panel, each on its own line
        assert fig.layout.showlegend is False


def test_a_missing_memory_or_disk_figure_says_why(eight) -> None:
    _, groups = eight
    [chart] = view_charts("footprint", groups)
    reasons = chart.data.set_index("group")["missing"]
    endpoint_groups = [g.key for g in groups if g.model_ref == ENDPOINT]
    assert set(reasons[endpoint_groups]) == {REMOTE_FOOTPRINT}  # in the CSV too, not a silent blank
    assert set(reasons[[g.key for g in groups if g.model_ref == LONG[0]]]) == {""}
    fig = chart_figure(chart, colour_map(MODELS))
    notes = [t for t in fig.data if t.type == "scatter" and t.name == ENDPOINT]
    assert len(notes) == 3  # load, peak and disk each say it
    assert all({text.strip() for text in t.text} == {"not measurable: remote endpoint"}
               and set(t.customdata) == {REMOTE_FOOTPRINT} for t in notes)
    assert all(list(t.x) == [0.0] * len(t.x) for t in notes)
    bars = [t for t in fig.data if t.type == "bar" and t.name == ENDPOINT]
    assert all(pd.isna(list(t.x)).all() for t in bars)  # no bar of 0 standing for "unknown"


def test_decide_charts_keep_names_off_the_points() -> None:
    points = tuple(ParetoPoint(ref, 3.0 + i / 10, 1.0 + i / 10, () if i < 3 else (MODELS[0],))
                   for i, ref in enumerate(MODELS))
    fig = pareto_figure(Pareto(points, []), colour_map(MODELS))
    assert all(trace.mode in {"markers", "lines"} for trace in fig.data)
    assert any(t.name.endswith("(dominated)") for t in fig.data)
    assert fig.layout.legend.orientation == "h"
    win = win_probability_figure(dict.fromkeys(MODELS, 1 / 8), colour_map(MODELS))
    assert short_labels(MODELS)[ENDPOINT] in win.data[0].y and ENDPOINT in win.data[0].customdata
