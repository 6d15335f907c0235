"""The Results tab: quality per model with its uncertainty, agreement (judge with people, people with each
other), and length bias.

Each source (every judge, and people) is shown on its own: pooling a judge's scores with people's
would hide exactly the disagreement the agreement section is there to expose. The page reads the
results (``core.grading.run_results``); this tab only draws them.
"""

from __future__ import annotations

import streamlit as st

from components.chart_export import chart_with_downloads
from components.figures import colour_map
from components.grading_figures import length_score_figure
from components.grading_frames import agreement_frame, ci_text, quality_frame
from components.safe_text import md, md_literal
from core.grading import Rubric
from core.grading.quality_ties import QualityStep, quality_steps
from core.grading.run_results import SourceResults
from store.records import Run

VERDICT_BOX = {"good": st.success, "moderate": st.info, "poor": st.warning,
               "reliable": st.success, "tentative": st.info, "unreliable": st.warning}


def results_tab(run: Run, rubric: Rubric, results: list[SourceResults]) -> None:
    if not results:
        st.info(md("No scores with {label} for this run yet: judge it on the Judge tab or grade it on the Manual tab "
                   "(scores made with another rubric version are under that version).", label=rubric.label))
        return
    _quality(rubric, results)
    _agreement(rubric, results)
    _people_agreement(results)
    _length(run, results)


def _quality(rubric: Rubric, results: list[SourceResults]) -> None:
    st.subheader("Quality per model")
    st.caption(md("Mean score (1-5) over answers with its 95% interval, per criterion and overall (mean of the "
                  "criteria), with {label}. **scored** = answers the mean rests on (an answer several people graded "
                  "counts once, with the mean of their scores); **unscored** = answers whose judge replies could "
                  "not be read (left out of the mean, not counted as 0). Below 3 answers there is no interval; a "
                  "few equal scores never read as certain. Overlapping intervals mean the difference may be "
                  "noise.", label=rubric.label))
    for source in results:
        st.markdown(md("**{label}**", label=source.label))
        st.dataframe(quality_frame(source.quality, rubric), hide_index=True)
        for step in quality_steps(source.quality):
            st.markdown(_step_sentence(step))


def _step_sentence(step: QualityStep) -> str:
    """One sentence per adjacent pair in the ranking by overall mean: a tie, an order, or not known yet."""
    a, b = step.higher_mean, step.lower_mean
    values = {"a": step.higher, "b": step.lower, "a_mean": f"{a.mean:.2f}", "b_mean": f"{b.mean:.2f}",
              "a_ci": ci_text(a), "b_ci": ci_text(b), "a_n": a.n, "b_n": b.n}
    if step.relation == "tie":
        return md("Statistical tie on quality between {a:code} and {b:code}: {a_mean} (95% CI {a_ci}, n={a_n}) "
                  "and {b_mean} (95% CI {b_ci}, n={b_n}) overlap, so the difference may be noise.", **values)
    if step.relation == "ahead":
        return md("{a:code} scores higher on quality than {b:code}: {a_mean} (95% CI {a_ci}, n={a_n}) against "
                  "{b_mean} (95% CI {b_ci}, n={b_n}), the intervals apart.", **values)
    return md("{a:code} ({a_mean}, n={a_n}) and {b:code} ({b_mean}, n={b_n}) cannot be ordered on quality yet: "
              "{reason}.", reason=(a if a.ci95_low is None else b).note, **values)


def _agreement(rubric: Rubric, results: list[SourceResults]) -> None:
    st.subheader("Does the judge agree with people?")
    judged = [source for source in results if source.agreement is not None]
    if not judged:
        st.caption("Needs both: judge the run and grade some of the same answers by hand. Agreement tells you "
                   "whether the judge's scores can stand in for yours.")
        return
    st.caption("Quadratic-weighted kappa: agreement beyond chance on the 1-5 scale (1 = perfect, 0 = chance; "
               "above 0.60 is good, above 0.40 moderate, after Landis & Koch). Spearman: do judge and people rank "
               "answers the same way. Only answers scored by both count; each figure's 95% interval resamples "
               "answers (none below 10 answers, and the table says why).")
    for source in judged:
        agreement = source.agreement
        assert agreement is not None
        st.markdown(md("**Judge {judge}** · {n} answers graded by both", judge=source.judge_ref, n=agreement.n_items))
        VERDICT_BOX.get(agreement.level, st.info)(md_literal(agreement.verdict))
        st.dataframe(agreement_frame(agreement, rubric), hide_index=True)


def _people_agreement(results: list[SourceResults]) -> None:
    people = next((source.people for source in results if source.people is not None), None)
    if people is None:
        return
    st.subheader("Do people agree with each other?")
    st.caption(md("Krippendorff's alpha (ordinal) over answers graded by two or more people: 1 = full agreement, "
                  "0 = no better than chance; 0.8 and above is reliable. {graders} people graded this run.",
                  graders=people.n_graders))
    VERDICT_BOX.get(people.level, st.info)(md_literal(people.verdict))


def _length(run: Run, results: list[SourceResults]) -> None:
    st.subheader("Do longer answers get higher scores?")
    by_label = {source.label: source for source in results}
    label = st.selectbox("Scores from", list(by_label), key="grade-length-source")
    source = by_label[label]
    if source.points.empty:
        st.info(md("{label} has no readable scores yet.", label=label))
        return
    colours = colour_map(run.models)
    chart_with_downloads(length_score_figure(source.points, colours, label), source.points,
                         f"score-vs-length-{run.run_id}", key="grade-length")
    for model, bias in source.length_bias.items():
        st.caption(md("{model:code} (n={n}): {note}", model=model, n=bias.n, note=bias.note))
