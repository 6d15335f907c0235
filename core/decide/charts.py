"""The four Decide charts, each defined once: the page draws them live, the decision report from the record.

* contributions: each criterion's points in each model's score (stacked bars),
* Pareto: quality against latency, frontier models in colour,
* tornado: how far each weight can move before the winner changes,
* win probability: the share of random weightings each model wins.

The Decide page calls the builders with the ranking it has just computed; ``record_charts`` calls the same
builders with the ranking, Pareto points and sensitivity a decision record stored (read back into the
same types, not recomputed), for the HTML/PDF export to draw as SVG (``core.chart_images``). So the
picture in a report is the picture the people deciding looked at.

Model refs become category labels, legend names and hover text here, so each goes through
``core.untrusted_text.plotly_escape`` (``esc``) first; the ``colours`` maps stay keyed by the raw ref. Long refs
are shortened on labels and legends (``core.chart_theme.short_labels``) and given in full in the hover text, and
the Pareto chart names its points in a legend under the plot rather than on them, so no two texts collide with
2 or with 8 models at 1,400 or 1,000 px (``tests/test_browser_tour.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any, NamedTuple

import pandas as pd
import plotly.graph_objects as go

from core.chart_theme import THEME, chart_title, colour_map, legend_below, short_labels
from core.decide.candidates import Exclusion
from core.decide.pareto import Pareto, ParetoPoint
from core.decide.ranking import Ranking, ScoredModel, contribution_frame
from core.decide.sensitivity import WeightFlip, tornado_frame
from core.untrusted_text import plotly_escape as esc

GREY = "#B8B8C0"
TITLES = {
    "contributions": "Weighted score (0-100) by criterion",
    "pareto": "Quality against latency (top left is best)",
    "tornado": "How far each weight can move before the winner changes",
    "win": "Chance of winning with the weights drawn at random and the measurements resampled",
}


def contribution_figure(frame: pd.DataFrame) -> go.Figure:
    """Stacked bars: each criterion's points in each model's weighted score (rank order, top first)."""
    fig = go.Figure()
    names = short_labels(frame["model"])
    for criterion, part in frame.groupby("criterion", sort=False):
        fig.add_bar(y=part["model"].map(names).map(esc), x=part["points"], name=esc(criterion), orientation="h",
                    customdata=part["model"].map(esc),
                    hovertemplate="%{customdata}<br>" + esc(criterion) + ": %{x:.1f} points<extra></extra>")
    models = [esc(names[m]) for m in dict.fromkeys(frame["model"])]
    legend, legend_px = legend_below(frame["criterion"].nunique())
    fig.update_layout(template=THEME, barmode="stack", **chart_title(TITLES["contributions"]), legend=legend,
                      height=max(300, 140 + 48 * len(models)) + legend_px, xaxis={"title": {"text": "points"}})
    fig.update_yaxes(autorange="reversed", type="category", categoryorder="array", categoryarray=models)
    return fig


def pareto_figure(pareto: Pareto, colours: Mapping[str, str]) -> go.Figure:
    """Quality against latency: frontier models in colour and joined, dominated ones greyed (the legend says so)."""
    fig = go.Figure()
    names = short_labels(p.ref for p in pareto.points)
    frontier = sorted((p for p in pareto.points if p.on_frontier), key=lambda p: p.latency_s)
    if len(frontier) > 1:
        fig.add_scatter(x=[p.latency_s for p in frontier], y=[p.quality for p in frontier], mode="lines",
                        line={"dash": "dot", "color": "#555"}, name="Pareto frontier", hoverinfo="skip")
    for p in pareto.points:
        note = "on the frontier" if p.on_frontier else "dominated by " + ", ".join(p.dominated_by)
        fig.add_scatter(x=[p.latency_s], y=[p.quality], mode="markers",
                        marker={"size": 14, "color": colours.get(p.ref, "#333"),
                                "opacity": 1.0 if p.on_frontier else 0.35,
                                "line": {"width": 0 if p.on_frontier else 2, "color": GREY}},
                        name=esc(names[p.ref] + ("" if p.on_frontier else " (dominated)")),
                        hovertemplate=f"{esc(p.ref)}<br>{esc(note)}<extra></extra>")
    legend, legend_px = legend_below(len(pareto.points) + (len(frontier) > 1))
    fig.update_layout(template=THEME, **chart_title(TITLES["pareto"]), height=420 + legend_px, legend=legend,
                      xaxis={"title": {"text": "latency (s)"}}, yaxis={"title": {"text": "quality (1-5)"}})
    return fig


def tornado_figure(frame: pd.DataFrame) -> go.Figure:
    """For each weight, how many points it can lose (left) or gain (right) before the winner changes."""
    fig = go.Figure()
    criteria = frame["criterion"].map(esc)
    fig.add_bar(y=criteria, x=-frame["down (points)"], orientation="h", name="weight lowered",
                marker={"color": "#0072B2"}, customdata=frame["winner below"].map(esc, na_action="ignore"),
                hovertemplate="%{y}: -%{x:.1f} points → winner %{customdata}<extra></extra>")
    fig.add_bar(y=criteria, x=frame["up (points)"], orientation="h", name="weight raised",
                marker={"color": "#E69F00"}, customdata=frame["winner above"].map(esc, na_action="ignore"),
                hovertemplate="%{y}: +%{x:.1f} points → winner %{customdata}<extra></extra>")
    fig.update_layout(template=THEME, barmode="overlay", height=max(300, 120 + 44 * len(frame)),
                      **chart_title(TITLES["tornado"]),
                      xaxis={"title": {"text": "weight points (a bar reaching the end never flips)"}})
    fig.update_yaxes(autorange="reversed", type="category")
    return fig


def win_probability_figure(probabilities: Mapping[str, float], colours: Mapping[str, str]) -> go.Figure:
    """Share of draws (random weightings around the chosen ones, measurements resampled) each model wins."""
    refs = sorted(probabilities, key=lambda r: -probabilities[r])
    names = short_labels(refs)
    fig = go.Figure(go.Bar(y=[esc(names[r]) for r in refs], x=[100 * probabilities[r] for r in refs],
                           orientation="h", marker={"color": [colours.get(r, "#333") for r in refs]},
                           customdata=[esc(r) for r in refs], texttemplate="%{x:.0f}%",
                           hovertemplate="%{customdata}: %{x:.1f}%<extra></extra>"))
    fig.update_layout(template=THEME, **chart_title(TITLES["win"]),
                      height=max(260, 120 + 44 * len(refs)), xaxis={"title": {"text": "% of draws won"},
                                                                   "range": [0, 100]})
    fig.update_yaxes(autorange="reversed", type="category")
    return fig


# ------------------------------------------------------------------ from a decision record


class DecideChart(NamedTuple):
    """One chart of a decision record: its title, its figure, and the numbers it draws (a report shows
    them as a table where the figure cannot be drawn)."""

    title: str
    figure: go.Figure
    data: pd.DataFrame


class DecideCharts(NamedTuple):
    contributions: DecideChart
    pareto: DecideChart | None  # None when no ranked model has both a quality and a latency figure
    tornado: DecideChart
    win: DecideChart


def _stored_ranking(record: Mapping[str, Any]) -> Ranking:
    """The ranking exactly as the record stored it (``core.decide.decision.recompute`` would rank again instead)."""
    return Ranking(ranked=tuple(_stored_model(m) for m in record["ranked"]),
                   excluded=tuple(Exclusion(**e) for e in record["excluded"]), weights=record["weights_applied"],
                   dropped=record["dropped"], latency_stat=record["settings"]["latency_stat"])


def _stored_model(stored: Mapping[str, Any]) -> ScoredModel:
    """A ranked model as a record stored it; a record from before per-figure evidence reads without it."""
    known = {f.name for f in fields(ScoredModel)}
    return ScoredModel(**({"evidence": {}} | {k: v for k, v in stored.items() if k in known}))


def _stored_pareto(record: Mapping[str, Any]) -> Pareto:
    points = tuple(ParetoPoint(p["ref"], p["quality"], p["latency_s"], tuple(p["dominated_by"]))
                   for p in record["pareto"]["points"])
    return Pareto(points, record["pareto"]["not_plotted"])


def record_charts(record: Mapping[str, Any]) -> DecideCharts:
    """The four charts of a decision record, with the page's builders and the page's colours (one per
    candidate, in the candidate table's order, as ``colour_map`` gives them on the page)."""
    colours = colour_map(c["ref"] for c in record["candidates"]["candidates"])
    contributions = contribution_frame(_stored_ranking(record))
    points_by_criterion = (contributions.pivot(index="model", columns="criterion", values="points")
                           .reindex(index=list(dict.fromkeys(contributions["model"])),
                                    columns=list(dict.fromkeys(contributions["criterion"]))).reset_index())
    pareto = _stored_pareto(record)
    points = pd.DataFrame([{"model": p.ref, "quality": p.quality, "latency (s)": p.latency_s,
                            "on the frontier": p.on_frontier} for p in pareto.points])
    flips = tornado_frame([WeightFlip(**f) for f in record["sensitivity"]["flips"]])
    probabilities = record["sensitivity"]["probabilities"]
    wins = pd.DataFrame([{"model": ref, "% of draws won": 100 * share} for ref, share in probabilities.items()])
    return DecideCharts(
        contributions=DecideChart(TITLES["contributions"], contribution_figure(contributions), points_by_criterion),
        pareto=DecideChart(TITLES["pareto"], pareto_figure(pareto, colours), points) if pareto.points else None,
        tornado=DecideChart(TITLES["tornado"], tornado_figure(flips), flips),
        win=DecideChart(TITLES["win"], win_probability_figure(probabilities, colours),
                        wins.sort_values("% of draws won", ascending=False, kind="stable")),
    )
