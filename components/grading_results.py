"""The Results tab: quality per model with its uncertainty, judge-vs-people agreement, and length bias.

Each source (every judge, and people) is shown on its own: pooling a judge's scores with people's
would hide exactly the disagreement the agreement section is there to expose.
"""

from __future__ import annotations

import streamlit as st

from components.chart_export import chart_with_downloads
from components.figures import colour_map
from components.grading_figures import length_score_figure
from components.grading_frames import agreement_frame, quality_frame, score_points, score_sources
from components.safe_text import md, md_literal
from core.grading import Rubric, judge_human_agreement, length_bias, quality_by_model
from store import Store

VERDICT_BOX = {"good": st.success, "moderate": st.info, "poor": st.warning}


def results_tab(store: Store, run: dict, rubric: Rubric) -> None:
    sources = score_sources(store, run["run_id"], rubric)
    if not sources:
        st.info(md("No scores with {label} for this run yet: judge it on the Judge tab or grade it on the Manual tab "
                   "(scores made with another rubric version are under that version).", label=rubric.label))
        return
    _quality(store, run["run_id"], rubric, sources)
    _agreement(store, run["run_id"], rubric, sources)
    _length(store, run, rubric, sources)


def _quality(store: Store, run_id: str, rubric: Rubric, sources: list[tuple[str, str | None]]) -> None:
    st.subheader("Quality per model")
    st.caption(md("Mean score (1-5) with its 95% bootstrap interval, per criterion and overall (mean of the "
                  "criteria), with {label}. **scored** = answers the mean rests on; **unscored** = judge replies that "
                  "could not be read (left out of the mean, not counted as 0). Overlapping intervals mean the "
                  "difference may be noise.", label=rubric.label))
    for label, judge_ref in sources:
        st.markdown(md("**{label}**", label=label))
        qualities = quality_by_model(store, run_id, rubric, judge_ref=judge_ref)
        st.dataframe(quality_frame(qualities, rubric), hide_index=True)


def _agreement(store: Store, run_id: str, rubric: Rubric, sources: list[tuple[str, str | None]]) -> None:
    st.subheader("Does the judge agree with people?")
    judges = [ref for _, ref in sources if ref is not None]
    if not judges or len(judges) == len(sources):
        st.caption("Needs both: judge the run and grade some of the same answers by hand. Agreement tells you "
                   "whether the judge's scores can stand in for yours.")
        return
    st.caption("Quadratic-weighted kappa: agreement beyond chance on the 1-5 scale (1 = perfect, 0 = chance). "
               "Spearman: do judge and people rank answers the same way. Only answers scored by both count.")
    for judge_ref in judges:
        agreement = judge_human_agreement(store, run_id, judge_ref, rubric)
        st.markdown(md("**Judge {judge}** · {n} answers graded by both", judge=judge_ref, n=agreement.n_items))
        VERDICT_BOX.get(agreement.level, st.info)(md_literal(agreement.verdict))
        st.dataframe(agreement_frame(agreement, rubric), hide_index=True)


def _length(store: Store, run: dict, rubric: Rubric, sources: list[tuple[str, str | None]]) -> None:
    st.subheader("Do longer answers get higher scores?")
    labels = dict(sources)
    label = st.selectbox("Scores from", list(labels), key="grade-length-source")
    judge_ref = labels[label]
    points = score_points(store, run["run_id"], rubric, judge_ref)
    if points.empty:
        st.info(md("{label} has no readable scores yet.", label=label))
        return
    colours = colour_map(run.get("models", {}))
    chart_with_downloads(length_score_figure(points, colours, label), points, f"score-vs-length-{run['run_id']}",
                         key="grade-length")
    for model, bias in length_bias(store, run["run_id"], rubric, judge_ref=judge_ref).items():
        st.caption(md("{model:code} (n={n}): {note}", model=model, n=bias.n, note=bias.note))
