"""Compare: stored benchmark runs side by side (speed, distributions, footprint, devices, baseline, answers), and
runs moved in and out as bundles (the GPU is usually on another machine)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from components.chart_export import chart_with_downloads
from components.compare_families import family_editor
from components.compare_statements import show_statements, statement_list
from components.figures import chart_figure, colour_map
from components.run_bundles import download_bundle, upload_bundles
from components.safe_text import md, md_literal, show_model_text
from components.state import get_store
from core.bundles import export_bundle, import_bundle
from core.compare.charts import view_charts
from core.compare.devices import device_gap_message, family_table
from core.compare.groups import Group, build_groups
from core.compare.head_to_head import head_to_head_frame
from core.compare.report import GROUP_KEYS
from core.compare.responses import prompt_texts, responses
from core.compare.runs import (
    UNKNOWN_DEVICE,
    RunFilter,
    device_text,
    model_refs,
    prompt_set_name,
    run_devices,
    run_label,
)
from core.compare.statements import baseline_statements, device_statements, head_to_head_statements
from core.models.specs import family_tags, set_family
from store.queries import benchmark_runs, get_run, is_finished, run_samples
from store.records import Run

DEFAULT_RUNS = 3
MAX_RESPONSE_COLUMNS = 4
PROMPTS_PER_PAGE = 10
FIRST_STATEMENTS = 6  # comparisons in words shown at once; the rest wait in an expander
TAB_KEY = "cmp-tab"

store = get_store()
st.title("Compare")
st.caption(
    "Pick stored benchmark runs and models. Every figure counts only measured requests (warm-up and failed "
    "requests are left out) at each run's lowest concurrency level; **n** on each chart is how many it rests on. "
    "Each model keeps one colour on every chart; every chart downloads as PNG and its numbers as CSV."
)


def _date_bounds(span: Sequence[date]) -> tuple[date | None, date | None]:
    """``st.date_input`` gives ``()`` (no filter), ``(start,)`` while picking, or ``(start, end)``."""
    return (span[0] if span else None), (span[1] if len(span) > 1 else None)


def _filters(runs: list[Run]) -> RunFilter:
    with st.expander("Filter runs", icon=":material/filter_list:"):
        sets_col, devices_col, dates_col = st.columns(3)
        sets = sets_col.multiselect("Prompt set", sorted({prompt_set_name(r) for r in runs}), key="cmp-sets")
        devices = devices_col.multiselect("Device", sorted(set().union(*map(run_devices, runs))), key="cmp-devices")
        span = dates_col.date_input("Created between", value=(), key="cmp-dates")
    return RunFilter(frozenset(sets), frozenset(devices), *_date_bounds(span))


def _pick_runs(runs: list[Run], imported: list[str]) -> list[Run]:
    """The user's runs; runs just imported from a bundle join the selection (they are why the user came)."""
    run_filter = _filters(runs)
    by_id = {r.run_id: r for r in runs if run_filter.matches(r)}
    if not by_id:
        st.info("No run matches these filters: widen them above.")
        return []
    if imported and "cmp-runs" in st.session_state:
        st.session_state["cmp-runs"] = [i for i in dict.fromkeys([*imported, *st.session_state["cmp-runs"]])
                                        if i in by_id]
    ids = st.multiselect("Runs", list(by_id), default=list(by_id)[:DEFAULT_RUNS],
                         format_func=lambda run_id: run_label(by_id[run_id]), key="cmp-runs",
                         help="Newest first. The newest three are picked to start with.")
    return [by_id[run_id] for run_id in ids]


@dataclass(frozen=True)
class Selection:
    """What the charts depend on: the store file's state (mtime, size) and the chosen runs and models.

    Hashable, so the expensive steps (plotly figure validation, bootstrap intervals) run once per
    selection and store state instead of on every rerun.
    """

    path: str
    version: tuple[int, int]
    run_ids: tuple[str, ...]
    models: tuple[str, ...]
    colours: tuple[tuple[str, str], ...]
    families: tuple[tuple[str, str], ...]  # the user's family tags (core.models.specs.family_tags)


Chart = tuple[go.Figure, pd.DataFrame, str]  # figure, the data behind it, file name for downloads


@st.cache_resource(show_spinner=False, max_entries=4)
def _groups(selection: Selection) -> list[Group]:
    """Groups of the selection; cached as a resource (shared, never modified) to skip copying samples."""
    store_now = get_store()
    runs = [get_run(store_now, run_id) for run_id in selection.run_ids]
    samples = {run_id: run_samples(store_now, run_id) for run_id in selection.run_ids}
    return build_groups([r for r in runs if r], samples, selection.models, dict(selection.families))


def _measured(selection: Selection) -> list[Group]:
    return [g for g in _groups(selection) if g.n > 0]


@st.cache_resource(show_spinner=False, max_entries=32)
def _charts(selection: Selection, view: str, option: str = "", style: str = "box") -> list[Chart]:
    """The charts of one view (``core.compare.charts``) drawn; figures are read-only once built, so sessions
    can share them. ``option``: the baseline run id; ``style``: box or violin for distributions."""
    colours = dict(selection.colours)
    return [(chart_figure(chart, colours, style=style), chart.data, chart.name)
            for chart in view_charts(view, _measured(selection), option)]


@st.cache_resource(show_spinner=False, max_entries=8)
def _model_statements(selection: Selection) -> list[str]:
    """Every two models of one run and device, in words (paired by prompt; cheap, but shared by sessions)."""
    return head_to_head_statements(head_to_head_frame(_measured(selection)))


def _in_words(selection: Selection) -> None:
    """What the product owner came for, first: how the models compare, with intervals and ties called ties."""
    st.subheader("In words")
    show_statements(_model_statements(selection), first=FIRST_STATEMENTS,
                    empty="Pick two or more models of one run to compare them (paired over the prompts both answered).")


def _show(charts: list[Chart]) -> None:
    for fig, data, name in charts:
        chart_with_downloads(fig, data, name, key=f"cmp-{name}")


def _table(data: pd.DataFrame) -> None:
    """A chart's numbers as a table; a device an endpoint did not report reads so, not "unknown"."""
    if "device" in data:
        data = data.assign(device=data["device"].map(device_text))
    st.dataframe(data, hide_index=True)


def _speed(selection: Selection) -> None:
    charts = _charts(selection, "speed")
    _show(charts)
    _table(charts[0][1][GROUP_KEYS])  # each figure with its n and interval
    for warning in sorted({w for w in charts[0][1]["warning"] if w}):
        st.caption(md(":material/info: {warning}", warning=warning))


def _distributions(selection: Selection) -> None:
    kind = st.segmented_control("Show as", ["box", "violin"], default="box", key="cmp-dist-kind") or "box"
    _show(_charts(selection, "distributions", style=kind))


def _footprint(selection: Selection) -> None:
    charts = _charts(selection, "footprint")
    if not charts:
        st.info("No memory or disk figures were recorded for these models. Memory is measured for models that run "
                "inside Pickwise (Foundry Local); an endpoint's server runs in another process, so its memory and "
                "disk are not measurable here (enter them on Decide if you know them).")
        return
    data = charts[0][1]
    for reason, rows in data[data["missing"] != ""].groupby("missing", sort=False):
        st.caption(md(":material/info: Memory or disk of {models}: {reason}.",
                      models=", ".join(dict.fromkeys(rows["model"])), reason=reason))
    _show(charts)


def _devices(selection: Selection) -> None:
    """Each family's speed-ups in words, then the chart and table; the families and their tags below."""
    gap = device_gap_message(_measured(selection))
    if gap:
        st.info(md_literal(gap), icon=":material/memory:")
    else:
        charts = _charts(selection, "devices")
        show_statements(device_statements(charts[0][1]), empty="")
        st.caption("Speed-up = how many times faster than the baseline (a CPU, this machine's when several "
                   "machines used one), runs of one model family pooled per machine, device and execution "
                   "provider, paired over the prompts both sides measured (same id and text): per prompt the ratio "
                   "of the means, over prompts their geometric mean, with a 95% Student-t interval over prompts. "
                   "Above 1 is faster.")
        _show(charts)
        _table(charts[0][1])
    family_editor(family_table(_measured(selection), dict(selection.families)),
                  lambda ref, tag: set_family(store, ref, tag), key="cmp-families")


def _baseline(chosen: list[Run], selection: Selection) -> None:
    if len(chosen) < 2:
        st.info("Select at least two runs above (a baseline and a later run of the same models) to see what changed.")
        return
    by_id = {r.run_id: r for r in chosen}
    ids = list(by_id)
    base_id = st.selectbox("Baseline run", ids, index=len(ids) - 1, format_func=lambda i: run_label(by_id[i]),
                           key="cmp-baseline")
    charts = _charts(selection, "baseline", base_id)
    if not charts:
        st.info("No model of the baseline run was measured on the same device in the other selected runs.")
        return
    _change_verdict(charts[0][1])
    _show(charts)
    _table(charts[0][1])


def _change_verdict(changes: pd.DataFrame) -> None:
    """Say first what got worse beyond noise, since that is what the user came to check; then the rest."""
    sentences = baseline_statements(changes)
    worse = [s for s, verdict in zip(sentences, changes["verdict"], strict=True) if verdict == "worse"]
    if worse:
        st.warning("Worse beyond noise:\n\n" + statement_list(worse), icon=":material/trending_down:")
    else:
        st.success("Nothing got worse beyond noise against the baseline (paired over the prompts both runs asked).")
    show_statements([s for s in sentences if s not in worse], empty="")


def _responses(chosen: list[Run], groups: list[Group]) -> None:
    by_key = {g.key: g for g in groups}
    keys = st.multiselect("Answers from", list(by_key), default=list(by_key)[:3], key="cmp-answer-groups",
                          max_selections=MAX_RESPONSE_COLUMNS)
    only_diff = st.toggle("Differences only", key="cmp-diff-only",
                          help="Hide prompts where every selected model gave the same text (whitespace ignored)")
    shown = [by_key[k] for k in keys]
    rows = responses(shown, prompt_texts(chosen), differences_only=only_diff) if shown else []
    if not rows:
        st.info("Pick models above to read their answers." if not shown else "Every selected model gave the same "
                "answer to every prompt." if only_diff else "These runs stored no answers.")
        return
    pages = (len(rows) - 1) // PROMPTS_PER_PAGE + 1
    page = st.number_input("Page", 1, pages, 1, key="cmp-answer-page") if pages > 1 else 1
    st.caption(f"{len(rows)} prompts; answers are shown as plain text, exactly as the models wrote them.")
    for row in rows[(page - 1) * PROMPTS_PER_PAGE: page * PROMPTS_PER_PAGE]:
        st.text(f"{row.prompt_id}: {row.prompt}")
        for col, key in zip(st.columns(len(shown)), keys, strict=True):
            with col:
                st.text(key)
                show_model_text(row.answers[key], empty="(not asked in this run)")
        st.divider()


def _bundles() -> tuple[DeltaGenerator, list[str]]:
    """Bundles in first, so runs just imported are listed (and selected) in this very run; the download of
    the selected runs joins the same expander once they are picked. Returns the expander and the runs added."""
    box = st.expander("Runs from another machine", icon=":material/move_down:")
    with box:
        added = upload_bundles(lambda data, name: import_bundle(store, data, name=name), key="cmp-bundles")
    return box, added


def main() -> None:
    bundles, imported = _bundles()
    runs = benchmark_runs(store)
    if not runs:
        st.info("No benchmark runs yet. Run a benchmark first (Benchmark page), then come back to compare models.",
                icon=":material/speed:")
        return
    colours = colour_map(model_refs(runs))  # every stored model, so a colour never moves with the selection
    chosen = _pick_runs(runs, imported)
    refs = model_refs(chosen)
    if imported and "cmp-models" in st.session_state:  # the imported runs' models join the selection too
        new = model_refs([r for r in chosen if r.run_id in imported])
        st.session_state["cmp-models"] = [m for m in dict.fromkeys([*st.session_state["cmp-models"], *new])
                                          if m in refs]
    models = st.multiselect("Models", refs, default=refs, key="cmp-models") if chosen else []
    with bundles:
        download_bundle([r.run_id for r in chosen if is_finished(r)],
                        lambda run_ids, label: export_bundle(store, run_ids, label=label), key="cmp-export")
    if not chosen or not models:
        st.info("Select at least one run and one model to compare.")
        return
    stat = store.path.stat()
    selection = Selection(str(store.path), (stat.st_mtime_ns, stat.st_size), tuple(r.run_id for r in chosen),
                          tuple(models), tuple(colours.items()), tuple(sorted(family_tags(store).items())))
    groups = _groups(selection)
    failed = [g.key for g in groups if g.n == 0]
    if failed:
        st.warning(md("No measured request (all failed or none run) for: {groups}", groups="; ".join(failed)),
                   icon=":material/error:")
    if len(failed) == len(groups):
        st.info("None of the selected models has a measured request: pick other runs, or run a benchmark again.")
        return
    unreported = [g.model_ref for g in groups if g.device == UNKNOWN_DEVICE]
    if unreported:
        st.caption(md(":material/info: {models}: device not reported (an endpoint does not say what its server "
                      "runs on; the charts say \"device not reported\" and compare it with no device).",
                      models=", ".join(dict.fromkeys(unreported))))
    views: dict[str, Callable[[], None]] = {
        "Speed": lambda: _speed(selection),
        "Distributions": lambda: _distributions(selection),
        "Memory and disk": lambda: _footprint(selection),
        "With and without GPU": lambda: _devices(selection),
        "Against a baseline": lambda: _baseline(chosen, selection),
        "Responses": lambda: _responses(chosen, groups),
    }
    _in_words(selection)
    # on_change="rerun": only the open tab's view runs, so a first look pays for one view, not six
    for tab, view in zip(st.tabs(list(views), key=TAB_KEY, on_change="rerun"), views.values(), strict=True):
        if tab.open:
            with tab:
                view()
    # Quality against latency (Pareto frontier) joins here once grading stores grades: it reuses
    # summary_frame and a scatter like latency_tps_figure with a quality axis.


main()
