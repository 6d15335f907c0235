"""Every plotly figure with hostile model ids, devices and rubric-source names: the figure JSON (what the
browser and kaleido render) holds them only as entities, so no tag becomes a link or bold text."""

from __future__ import annotations

import json

import pandas as pd
import plotly.graph_objects as go
import pytest

from components.figures import (
    baseline_change_figure,
    colour_map,
    distribution_figure,
    footprint_figure,
    latency_tps_figure,
    percentile_figure,
    speedup_figure,
    tps_figure,
)
from components.grading_figures import length_score_figure
from core.compare.baseline import baseline_change_frame
from core.compare.devices import device_speedup_frame
from core.compare.groups import build_groups, distribution_frame, summary_frame
from core.compare.runs import model_refs
from core.decide.charts import contribution_figure, pareto_figure, tornado_figure, win_probability_figure
from core.decide.pareto import Pareto, ParetoPoint
from store import Store
from store.queries import get_run, run_samples
from tests.test_compare import ModelSpec, seed_run

EVIL = 'acc:<a href="https://evil.example/">x</a><b>B</b>%{x}'
EVIL_DEVICE = "<i>GPU</i>"
ESCAPED = "acc:&lt;a href=\"https://evil.example/\"&gt;x&lt;/a&gt;&lt;b&gt;B&lt;/b&gt;&#37;{x}"


def assert_inert(fig: go.Figure) -> None:
    """No raw tag from the hostile strings anywhere in the figure, and the id is there, escaped."""
    text = _text(fig)
    for raw in ("<a ", "<b>", "<i>", "</a>", "%{x}<"):
        assert raw not in text, raw
    assert json.dumps(ESCAPED)[1:-1] in text


def _text(fig: go.Figure) -> str:
    """The figure's JSON as the browser reads it (``to_json`` writes ``/`` and ``<`` as escapes)."""
    return json.dumps(json.loads(fig.to_json()), ensure_ascii=False)


@pytest.fixture
def groups(store: Store):
    cpu = seed_run(store, [ModelSpec(EVIL, device=EVIL_DEVICE)], seed=1, rounds=4)
    gpu = seed_run(store, [ModelSpec(EVIL, device="GPU", speed=3.0)], seed=2, rounds=4, slowdown=1.3)
    runs = [get_run(store, r) for r in (cpu, gpu)]
    return build_groups(runs, {r.run_id: run_samples(store, r.run_id) for r in runs}, model_refs(runs))


def test_compare_figures_escape_model_ids_and_devices(groups) -> None:
    colours = colour_map([EVIL])
    summary = summary_frame(groups)
    figures = [percentile_figure(summary, "e2e_s", colours), tps_figure(summary, colours),
               latency_tps_figure(summary, colours), footprint_figure(summary, colours),
               distribution_figure(distribution_frame(groups, "e2e_s"), "e2e_s", colours),
               distribution_figure(distribution_frame(groups, "e2e_s"), "e2e_s", colours, kind="violin"),
               speedup_figure(device_speedup_frame(groups), colours)]
    changes = baseline_change_frame([g for g in groups if g.device == "GPU"], [g for g in groups if g.device != "GPU"])
    if not changes.empty:
        figures.append(baseline_change_figure(changes, colours))
    for fig in figures:
        assert_inert(fig)
    assert "&lt;I&gt;GPU&lt;/I&gt;" in _text(figures[0])  # devices are shown upper-case
    assert any(ESCAPED in str(t.name) for t in figures[0].data)


def test_hover_templates_never_fill_in_a_template_from_a_model_id(groups) -> None:
    fig = tps_figure(summary_frame(groups), colour_map([EVIL]))
    assert all("%{x}" not in t.hovertemplate.split("<extra>")[1] for t in fig.data)


def test_decide_figures_escape_model_ids() -> None:
    contributions = pd.DataFrame({"model": [EVIL, "b:ok"], "criterion": ["latency", "latency"], "points": [40, 30]})
    pareto = Pareto(points=(ParetoPoint(EVIL, 4.0, 1.0, ()), ParetoPoint("b:ok", 3.0, 2.0, (EVIL,))),
                    not_plotted={})
    tornado = pd.DataFrame({"criterion": ["latency"], "down (points)": [10.0], "up (points)": [5.0],
                            "winner below": [EVIL], "winner above": [EVIL]})
    for fig in (contribution_figure(contributions), pareto_figure(pareto, {EVIL: "#000"}), tornado_figure(tornado),
                win_probability_figure({EVIL: 0.7, "b:ok": 0.3}, {EVIL: "#000"})):
        assert_inert(fig)


def test_grading_figure_escapes_model_and_source() -> None:
    points = pd.DataFrame({"model": [EVIL], "item": ["i1"], "response_chars": [10], "score": [4.0]})
    assert_inert(length_score_figure(points, {EVIL: "#000"}, f"Judge {EVIL}"))
