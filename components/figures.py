"""Plotly figure builders for comparing models: data frames in, figures out, no Streamlit.

Every builder takes a frame from ``core.compare`` (the same frame the page offers as CSV, so a chart
never shows a number its download lacks) and a ``colours`` map from ``colour_map``, so a model keeps
one colour on every chart and every exported image. All figures carry ``THEME`` inside them, which is
why the app (``st.plotly_chart(theme=None)``) and the PNG export look the same.

Categories are groups (model × device × run); their axis labels always carry the sample count ``n``.

Text must never collide at any width the page is read at (checked in chromium by ``tests/test_browser_tour.py``
at 1,400 and 1,000 px, with 2 and with 8 models), so: a chart whose categories name the models has no legend
(the colour is the model's everywhere, and the label says which); panels stack one above the other, each
full width, rather than side by side; the scatter carries no on-point labels (the legend, below the plot,
and the hover say which point is which); long model ids are shortened on labels and legends
(``core.chart_theme.short_labels``) and given in full in the hover text. A missing figure says why on the chart
(``core.compare.charts.footprint_gap``), and a device an endpoint did not report reads "device not reported".

Model ids, devices and run ids come from endpoints and the store: plotly renders ``<a href>``, ``<b>`` and
``<br>`` in names, labels and hover text, so every such string goes through ``core.untrusted_text.plotly_escape``
(imported as ``esc``) before it becomes a trace name, category label, text or hover template. The ``colours``
maps stay keyed by the raw model ref.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.chart_theme import PALETTE, THEME, chart_title, colour_map, legend_below, short_labels  # noqa: F401 (pages and tests take them here)
from core.compare.charts import REMOTE_FOOTPRINT, ChartData, footprint_gap
from core.compare.groups import METRIC_LABELS
from core.compare.runs import device_text
from core.untrusted_text import plotly_escape as esc

LOG_SPREAD = 10  # a value axis whose largest value is this many times its smallest goes logarithmic
DEVICE_SYMBOLS: dict[str, str] = {"CPU": "circle", "GPU": "diamond", "NPU": "square"}
PANEL_TITLES: dict[str, str] = {"ttft_s": "Time to first token", "e2e_s": "Latency", "decode_tps": "Tokens/s"}
PANEL_GAP_PX = 70  # between stacked panels: the upper panel's tick labels and the lower one's title
PANEL_TITLE_PX = 26  # a stacked panel's title, over the panel


def group_label(row: Mapping, names: Mapping[str, str] | None = None) -> str:
    """Axis label of one group: model (shortened, ``names`` from ``short_labels`` of every model on the chart),
    device, run and how many samples its figures rest on."""
    model = (names or short_labels([row["model"]]))[row["model"]]
    return f"{esc(model)}<br>{esc(device_text(row['device']))} · run {esc(str(row['run'])[:6])} · n={row['n']}"


def _height(n_categories: int, per: int = 56, base: int = 150) -> int:
    return max(320, base + per * n_categories)


def _layout(fig: go.Figure, title: str, n_categories: int, *, height: int | None = None, above_plot_px: int = 0,
            **axes: str) -> go.Figure:
    """Theme, title, height and a top-down category order, shared by every category chart; no legend, since each
    category's label names its model."""
    fig.update_layout(template=THEME, **chart_title(title, above_plot_px=above_plot_px),
                      height=height or _height(n_categories),
                      showlegend=False, **{axis: {"title": {"text": text}} for axis, text in axes.items()})
    fig.update_yaxes(autorange="reversed", type="category")
    return fig


def _stacked(titles: list[str], n_categories: int) -> tuple[go.Figure, int]:
    """One full-width panel per title, stacked, sharing the category axis; returns the figure and its height."""
    rows = len(titles)
    height = 150 + rows * max(60 * n_categories, 110) + (rows - 1) * PANEL_GAP_PX
    fig = make_subplots(rows=rows, cols=1, subplot_titles=titles,
                        vertical_spacing=PANEL_GAP_PX / (height - 110) if rows > 1 else 0.0)
    fig.update_annotations(xanchor="left", x=0, font={"size": 14})  # panel titles over the panel's left edge
    return fig, height


def _x_range(values: Iterable[float]) -> list[float]:
    """An x range from 0 with a third of the span spare beyond the bars, so labels outside them fit."""
    finite = [float(v) for v in values if pd.notna(v)] + [0.0]
    low, high = min(finite), max(finite)
    spare = (high - low or 1.0) * 0.3
    return [low - spare if low < 0 else 0.0, high + spare]


def _log_axis(values: Iterable[float]) -> bool:
    """Whether positive values spread over more than ``LOG_SPREAD`` times (tokens/s from 50 to 2,000): on a
    linear axis the small ones would be slivers, so the axis goes logarithmic and its title says so."""
    finite = [float(v) for v in values if pd.notna(v)]
    return bool(finite) and min(finite) > 0 and max(finite) / min(finite) > LOG_SPREAD


def _value_axis(fig: go.Figure, axis: str, values: Iterable[float], title: str, linear_range: list[float]) -> None:
    """Set one value axis: logarithmic (said in its title) when the values spread widely, else linear from 0."""
    values = list(values)
    update = fig.update_xaxes if axis == "x" else fig.update_yaxes
    if _log_axis(values):
        update(type="log", title_text=f"{title}, log scale", autorange=True)
    else:
        update(range=linear_range, title_text=title)


def _by_model(frame: pd.DataFrame) -> Iterable[tuple[str, pd.DataFrame]]:
    """Rows per model, models in the frame's order (``groupby`` would sort them)."""
    for model in dict.fromkeys(frame["model"]):
        yield model, frame[frame["model"] == model]


def distribution_figure(
    samples: pd.DataFrame, metric: str, colours: Mapping[str, str], *, kind: str = "box"
) -> go.Figure:
    """Box (or violin) per group with every counted sample drawn as a point.

    ``samples`` is ``core.compare.groups.distribution_frame``; warm-up and failed requests are not in it.
    """
    fig = go.Figure()
    names = short_labels(samples["model"])
    labels = list(dict.fromkeys(group_label(row, names) for row in samples.to_dict("records")))
    shown: set[str] = set()
    for key, rows in samples.groupby("group", sort=False):
        first = rows.iloc[0]
        model, label = first["model"], group_label(first, names)
        common = {"x": rows["value"], "y": [label] * len(rows), "orientation": "h", "name": esc(model),
                  "legendgroup": esc(model), "showlegend": model not in shown, "line": {"color": colours[model]},
                  "marker": {"color": colours[model], "size": 4, "opacity": 0.55},
                  "hovertemplate": f"{esc(key)}<br>%{{x:.3f}}<extra></extra>"}
        shown.add(model)
        if kind == "violin":
            fig.add_trace(go.Violin(**common, points="all", pointpos=0, jitter=0.5,
                                    box_visible=True, meanline_visible=True, spanmode="hard"))
        else:
            fig.add_trace(go.Box(**common, boxpoints="all", pointpos=0, jitter=0.5, boxmean=True))
    fig.update_layout(boxmode="overlay", violinmode="overlay")
    _layout(fig, f"{METRIC_LABELS[metric]}: every measured request", len(labels), yaxis="")
    if _log_axis(samples["value"]):
        fig.update_xaxes(type="log", title_text=f"{METRIC_LABELS[metric]}, log scale")
    else:
        fig.update_xaxes(title_text=METRIC_LABELS[metric])
    return fig


def percentile_figure(summary: pd.DataFrame, metric: str, colours: Mapping[str, str]) -> go.Figure:
    """p50 (solid) and p95 (hatched) bars per group for ``ttft_s`` or ``e2e_s``, each with its distribution-free
    95% interval as error bars where there is one (none for a p95 below 72 samples: the n on the label says why).

    The figures are written on the category label, not at the bars' ends, where the error bars would cross them."""
    prefix = metric.removesuffix("_s")
    fig = go.Figure()
    names = short_labels(summary["model"])
    for model, rows in _by_model(summary):
        labels = [group_label(r, names) + "<br>" + " · ".join(_seconds(pct, r[f"{prefix}_{pct}_s"])
                                                              for pct in ("p50", "p95"))
                  for r in rows.to_dict("records")]
        for pct, pattern in (("p50", ""), ("p95", "/")):
            values = rows[f"{prefix}_{pct}_s"]
            low, high = (rows.get(f"{prefix}_{pct}_ci95_{end}_s", pd.Series(index=rows.index, dtype=float))
                         for end in ("low", "high"))
            fig.add_trace(go.Bar(
                x=values, y=labels, orientation="h", name=f"{esc(model)} {pct}", legendgroup=esc(model),
                offsetgroup=pct, marker={"color": colours[model], "pattern": {"shape": pattern}},
                error_x={"type": "data", "array": high - values, "arrayminus": values - low,
                         "color": "#262730", "thickness": 1.5},
                hovertemplate=f"{pct} %{{x:.3f}} s<extra>{esc(model)}</extra>",
            ))
    fig.update_layout(barmode="group")
    fig.update_xaxes(range=_x_range([*summary[f"{prefix}_p50_s"], *summary[f"{prefix}_p95_s"],
                                     *summary.get(f"{prefix}_p95_ci95_high_s", pd.Series(dtype=float)).dropna()]))
    return _layout(fig, f"{METRIC_LABELS[metric]}: median (p50, solid) and p95 (hatched) with 95% CI",
                   len(summary), height=_height(len(summary), per=64), xaxis=METRIC_LABELS[metric], yaxis="")


def _seconds(pct: str, value: float) -> str:
    return f"{pct} {value:.3f} s" if pd.notna(value) else f"{pct} n/a"


def tps_figure(summary: pd.DataFrame, colours: Mapping[str, str]) -> go.Figure:
    """Mean tokens/s per group with its 95% interval as error bars; the mean on the label (inside a short bar
    plotly would turn it on its side, outside the error bar would cross it)."""
    fig = go.Figure()
    names = short_labels(summary["model"])
    for model, rows in _by_model(summary):
        mean = rows["tps_mean"]
        labels = [group_label(r, names) + "<br>" + (f"mean {r['tps_mean']:.1f} tokens/s" if pd.notna(r["tps_mean"])
                                                    else "mean n/a") for r in rows.to_dict("records")]
        fig.add_trace(go.Bar(
            x=mean, y=labels, orientation="h", name=esc(model),
            offsetgroup="tps", marker_color=colours[model],
            error_x={"type": "data", "array": rows["tps_ci95_high"] - mean, "arrayminus": mean - rows["tps_ci95_low"],
                     "color": "#262730", "thickness": 1.5},
            hovertemplate="%{x:.1f} tokens/s<extra>" + esc(model) + "</extra>",
        ))
    _layout(fig, "Tokens/s after the first token: mean with 95% CI", len(summary), height=_height(len(summary), per=64),
            yaxis="")
    upper = summary["tps_ci95_high"].fillna(summary["tps_mean"])
    _value_axis(fig, "x", [*summary["tps_ci95_low"].fillna(summary["tps_mean"]), *upper], "Tokens/s (mean, 95% CI)",
                _x_range(upper))
    return fig


def latency_tps_figure(summary: pd.DataFrame, colours: Mapping[str, str]) -> go.Figure:
    """Median latency against tokens/s, one point per group; the top-left corner (faster, more tokens/s) is shaded.

    Device sets the marker shape, model the colour. No text sits on the points (neighbours would overwrite each
    other): the legend below the plot names each colour and, when there are several devices, each shape; the
    hover gives the full model id, device, run and n. The corner is split at the medians of the points shown,
    so it always marks the better half on both axes.
    """
    fig = go.Figure()
    names = short_labels(summary["model"])
    for model, rows in _by_model(summary):
        fig.add_trace(go.Scatter(
            x=rows["e2e_p50_s"], y=rows["tps_mean"], mode="markers", name=esc(names[model]), legendgroup=esc(model),
            marker={"color": colours[model], "size": 14, "line": {"color": "white", "width": 1},
                    "symbol": [DEVICE_SYMBOLS.get(d, "triangle-up") for d in rows["device"]]},
            error_y={"type": "data", "array": rows["tps_ci95_high"] - rows["tps_mean"],
                     "arrayminus": rows["tps_mean"] - rows["tps_ci95_low"], "color": colours[model]},
            customdata=[f"{esc(device_text(d))} · run {esc(str(r)[:6])} · n={n}"
                        for d, r, n in zip(rows["device"], rows["run"], rows["n"], strict=True)],
            hovertemplate="latency p50 %{x:.3f} s<br>%{y:.1f} tokens/s<br>%{customdata}<extra>" + esc(model)
                          + "</extra>",
        ))
    devices = list(dict.fromkeys(summary["device"]))
    for device in devices if len(devices) > 1 else []:  # the shapes' key, after the models
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=esc(device_text(device)),
                                 legendgroup="devices",
                                 legendgrouptitle_text="Devices" if device == devices[0] else None,
                                 marker={"color": "#7F7F7F", "size": 11,
                                         "symbol": DEVICE_SYMBOLS.get(device, "triangle-up")}))
    x_max = max(summary["e2e_p50_s"].max(), 0) * 1.15 or 1.0
    y_max = max(summary["tps_ci95_high"].fillna(summary["tps_mean"]).max(), 0) * 1.15 or 1.0
    _shade_best_corner(fig, summary, y_max)
    legend, legend_px = legend_below(len(names) + (len(devices) + 1 if len(devices) > 1 else 0))
    fig.update_layout(template=THEME, **chart_title("Latency against tokens/s (top left is best)"),
                      height=460 + legend_px, legend=legend)
    _value_axis(fig, "x", summary["e2e_p50_s"], "End-to-end latency p50 (s)", [0, x_max])
    _value_axis(fig, "y", summary["tps_mean"], "Tokens/s (mean, 95% CI)", [0, y_max])
    return fig


def _shade_best_corner(fig: go.Figure, summary: pd.DataFrame, y_max: float) -> None:
    """Shade from the left edge to the median latency, from the median tokens/s to the top (on a log axis a
    shape's coordinates are powers of ten, and its edge lies a decade beyond the smallest value)."""
    x, y = summary["e2e_p50_s"], summary["tps_mean"]
    if pd.isna(x.median()) or pd.isna(y.median()):
        return
    x0, x1 = 0.0, x.median()
    if _log_axis(x):
        x0, x1 = math.log10(x.min() / 10), math.log10(x1)
    y0, y1 = y.median(), y_max
    if _log_axis(y):
        y0, y1 = math.log10(y0), math.log10(y.max() * 10)
    fig.add_shape(type="rect", xref="x", yref="y", x0=x0, x1=x1, y0=y0, y1=y1,
                  fillcolor="#009E73", opacity=0.08, line_width=0, layer="below")
    fig.add_annotation(xref="paper", yref="paper", x=0.01, y=0.99, xanchor="left", yanchor="top", showarrow=False,
                       text="↖ faster and more tokens/s", font={"color": "#00704F"})


FOOTPRINT = (("rss_load_mb", "Memory added at load (MB)"), ("rss_peak_mb", "Peak memory added while answering (MB)"),
             ("disk_mb", "Disk (MB)"))


def _gap_text(reason: str) -> str:
    """The few words a chart shows where a figure is missing; the hover gives the whole reason."""
    words = "not measurable: remote endpoint" if reason == REMOTE_FOOTPRINT else "not recorded"
    return "\u2002" + words  # an en space clear of the axis line and the labels beside it


def footprint_figure(summary: pd.DataFrame, colours: Mapping[str, str]) -> go.Figure:
    """Memory added by loading, peak memory while answering, and size on disk: one panel each, stacked.

    A group without a figure gets a line of text at zero saying why (``summary["missing"]``, see
    ``core.compare.charts.footprint_gap``), never an empty row or a bar of 0."""
    names = short_labels(summary["model"])
    fig, height = _stacked([title for _, title in FOOTPRINT], len(summary))
    reasons = summary["missing"] if "missing" in summary else pd.Series("", index=summary.index)
    for row, (column, _) in enumerate(FOOTPRINT, start=1):
        for model, rows in _by_model(summary):
            values = rows[column].astype(float)
            labels = [group_label(r, names) for r in rows.to_dict("records")]
            fig.add_trace(go.Bar(
                x=values, y=labels, orientation="h", name=esc(model), marker_color=colours[model],
                text=[f"{v:,.0f}" if pd.notna(v) else "" for v in values], textposition="outside", cliponaxis=False,
                hovertemplate="%{x:,.0f} MB<extra>" + esc(model) + "</extra>",
            ), row=row, col=1)
            gaps = values.isna()
            if gaps.any():
                why = [esc(reasons[i] or footprint_gap(model)) for i in rows.index[gaps]]
                fig.add_trace(go.Scatter(
                    x=[0.0] * len(why), y=[label for label, gap in zip(labels, gaps, strict=True) if gap],
                    mode="text", name=esc(model), text=[_gap_text(w) for w in why], textposition="middle right",
                    customdata=why, textfont={"color": "#6B6B76"},
                    hovertemplate="%{customdata}<extra>" + esc(model) + "</extra>",
                ), row=row, col=1)
        fig.update_xaxes(range=_x_range(summary[column]), row=row, col=1)
    _layout(fig, "Memory and disk footprint", len(summary), height=height, above_plot_px=PANEL_TITLE_PX)
    fig.update_xaxes(title_text="MB", row=len(FOOTPRINT), col=1)
    return fig


def _metric_facets(
    frame: pd.DataFrame, colours: Mapping[str, str], *, value: str, low: str, high: str,
    label: Callable[[Mapping], str], text: Callable[[Mapping], str], reference: float, x_title: str,
    title: str,
) -> go.Figure:
    """One full-width panel per metric, stacked; one horizontal bar per row with its 95% interval and a
    reference line; each row's figure and verdict on its label (at the bar's end the error bar would cross it)."""
    metrics = list(dict.fromkeys(frame["metric"]))
    n_rows = len(frame[frame["metric"] == metrics[0]]) if metrics else 0
    fig, height = _stacked([PANEL_TITLES[m] for m in metrics], n_rows)
    for row, metric in enumerate(metrics, start=1):
        for model, rows in _by_model(frame[frame["metric"] == metric]):
            records = rows.to_dict("records")
            fig.add_trace(go.Bar(
                x=rows[value], y=[f"{label(r)}<br>{text(r)}" for r in records], orientation="h", name=esc(model),
                offsetgroup="bar", marker_color=colours[model],
                error_x={"type": "data", "array": rows[high] - rows[value], "arrayminus": rows[value] - rows[low],
                         "color": "#262730"},
                hovertemplate="%{x:.2f}<extra>" + esc(model) + "</extra>",
            ), row=row, col=1)
        rows = frame[frame["metric"] == metric]
        fig.update_xaxes(range=_x_range([reference, *rows[value], *rows[low], *rows[high]]), row=row, col=1)
    # one layout update: add_vline per panel costs ~50 ms each in plotly's validation
    fig.update_layout(shapes=[{"type": "line", "xref": f"x{row if row > 1 else ''}",
                               "yref": f"y{row if row > 1 else ''} domain", "x0": reference, "x1": reference,
                               "y0": 0, "y1": 1, "line": {"color": "#262730", "dash": "dot"}}
                              for row in range(1, len(metrics) + 1)])
    fig.update_xaxes(title_text=x_title, row=len(metrics), col=1)
    return _layout(fig, title, n_rows, height=height, above_plot_px=PANEL_TITLE_PX)


def speedup_figure(speedups: pd.DataFrame, colours: Mapping[str, str]) -> go.Figure:
    """Speed-up of each setup (machine, device, provider) over the baseline setup (>1 = faster), per metric and
    model family, with 95% CI."""
    families = short_labels(speedups["family"])
    return _metric_facets(
        speedups, colours, value="speedup", low="ci95_low", high="ci95_high", reference=1.0,
        x_title="× faster", title="With and without GPU: speed-up with 95% CI (dotted line = same speed)",
        label=lambda r: (f"{esc(families[r['family']])}<br>{esc(r['setup'])} vs {esc(r['baseline_setup'])} · "
                         f"n={r['n']} vs {r['n_baseline']}"),
        text=lambda r: "n/a" if pd.isna(r["speedup"]) else f"{r['speedup']:.2f}×",
    )


def baseline_change_figure(changes: pd.DataFrame, colours: Mapping[str, str]) -> go.Figure:
    """Typical per-prompt change against the baseline run, per metric, with 95% CI and the verdict."""
    names = short_labels(changes["model"])
    return _metric_facets(
        changes, colours, value="change_pct", low="ci95_low_pct", high="ci95_high_pct", reference=0.0,
        x_title="% change", title="Against the baseline run: change per metric with 95% CI (dotted line = no change)",
        label=lambda r: group_label(r, names) + f" vs {r['n_baseline']}",
        text=lambda r: r["verdict"] if pd.isna(r["change_pct"]) else f"{r['change_pct']:+.1f}% {r['verdict']}",
    )


Drawing = Callable[[ChartData, Mapping[str, str], str], go.Figure]

DRAWINGS: dict[str, Drawing] = {
    "percentiles": lambda c, colours, _: percentile_figure(c.data, c.metric or "", colours),
    "tokens-per-second": lambda c, colours, _: tps_figure(c.data, colours),
    "latency-vs-tps": lambda c, colours, _: latency_tps_figure(c.data, colours),
    "distribution": lambda c, colours, style: distribution_figure(c.data, c.metric or "", colours, kind=style),
    "footprint": lambda c, colours, _: footprint_figure(c.data, colours),
    "speedup": lambda c, colours, _: speedup_figure(c.data, colours),
    "baseline-change": lambda c, colours, _: baseline_change_figure(c.data, colours),
}


def chart_figure(chart: ChartData, colours: Mapping[str, str], *, style: str = "box") -> go.Figure:
    """The figure of one registered chart (``core.compare.charts``); ``style`` is box or violin for distributions."""
    return DRAWINGS[chart.drawing](chart, colours, style)
