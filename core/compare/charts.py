"""Compare's chart registry: which charts each view shows and the data frame behind each one.

The page draws a ``ChartData`` with ``components.figures.chart_figure`` and offers its ``data`` as the
CSV download, so a chart never shows a number its download lacks; anything else that wants the same
numbers (an export, the CLI) reads them here without Streamlit or plotly.

A view takes the measured groups (``core.compare.groups.build_groups``, groups with at least one counted
sample) and one option: the baseline run id for ``baseline``, unused elsewhere. A view with nothing
to draw returns no chart (no memory or disk figure recorded; one device only; no model of the baseline
measured again).

A figure a model has no value for says why, in the data as in the chart (``footprint_gap``): an endpoint's
server runs in another process, so its memory and disk are not measurable here, which is not the same as a
local model whose figure was not recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from core.benchmark.empty_cells import REMOTE_WHY as REMOTE_FOOTPRINT
from core.compare.baseline import baseline_change_frame
from core.compare.devices import device_speedup_frame
from core.compare.groups import Group, distribution_frame, summary_frame
from core.refs import is_remote

FOOTPRINT_COLUMNS = ["rss_load_mb", "rss_peak_mb", "disk_mb"]
NOT_RECORDED = "not recorded in this run"


@dataclass(frozen=True)
class ChartData:
    """One chart: its name (the downloads' file name), which drawing shows it, and its numbers."""

    name: str
    drawing: str  # "percentiles", "tokens-per-second", "latency-vs-tps", "distribution", "footprint",
    #              "speedup" or "baseline-change": the figure builders in components.figures
    data: pd.DataFrame
    metric: str | None = None  # the metric a per-metric drawing shows (ttft_s, e2e_s)


def speed_charts(measured: list[Group], _: str = "") -> list[ChartData]:
    summary = summary_frame(measured)
    return [ChartData("ttft-percentiles", "percentiles", summary, "ttft_s"),
            ChartData("latency-percentiles", "percentiles", summary, "e2e_s"),
            ChartData("tokens-per-second", "tokens-per-second", summary),
            ChartData("latency-vs-tps", "latency-vs-tps", summary)]


def distribution_charts(measured: list[Group], _: str = "") -> list[ChartData]:
    return [ChartData(name, "distribution", distribution_frame(measured, metric), metric)
            for metric, name in (("ttft_s", "ttft-distribution"), ("e2e_s", "latency-distribution"))]


def footprint_gap(model_ref: str) -> str:
    """Why a model has no memory or disk figure: only models Pickwise runs itself (Foundry Local, in process)
    are measured; an endpoint's server is another process, often on another machine."""
    return REMOTE_FOOTPRINT if is_remote(model_ref) else NOT_RECORDED


def footprint_charts(measured: list[Group], _: str = "") -> list[ChartData]:
    data = summary_frame(measured)[["group", "model", "device", "provider", "run", "n", *FOOTPRINT_COLUMNS]]
    if data[FOOTPRINT_COLUMNS].isna().all().all():
        return []
    missing = data[FOOTPRINT_COLUMNS].isna().any(axis=1)
    data = data.assign(missing=[footprint_gap(m) if gap else "" for m, gap in zip(data["model"], missing, strict=True)])
    return [ChartData("memory-and-disk", "footprint", data)]


def device_charts(measured: list[Group], _: str = "") -> list[ChartData]:
    speedups = device_speedup_frame(measured)
    return [] if speedups.empty else [ChartData("device-speedup", "speedup", speedups)]


def baseline_charts(measured: list[Group], base_id: str) -> list[ChartData]:
    changes = baseline_change_frame([g for g in measured if g.run_id == base_id],
                                    [g for g in measured if g.run_id != base_id])
    return [] if changes.empty else [ChartData("baseline-changes", "baseline-change", changes)]


VIEWS: dict[str, Callable[[list[Group], str], list[ChartData]]] = {
    "speed": speed_charts, "distributions": distribution_charts, "footprint": footprint_charts,
    "devices": device_charts, "baseline": baseline_charts,
}


def view_charts(view: str, measured: list[Group], option: str = "") -> list[ChartData]:
    """The charts of one view (a key of ``VIEWS``) over the measured groups."""
    return VIEWS[view](measured, option)
