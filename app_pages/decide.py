"""Decide: weigh the evidence, apply hard limits, test how robust the winner is, record and export a decision."""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import streamlit as st

from components.decide_widgets import (
    decision_form,
    lead_panel,
    metadata_editor,
    missing_data_panel,
    qualification_panel,
    quality_note,
    quality_panel,
    ranking_table,
    settings_panel,
)
from components.decision_exports import decisions_panel
from components.figures import colour_map
from components.safe_text import md, md_literal
from components.state import get_store
from core.benchmark.run_summary import runs_frame
from core.compare.head_to_head import statements_between
from core.decide.candidates import candidate_table_from_store
from core.decide.charts import contribution_figure, pareto_figure, tornado_figure, win_probability_figure
from core.decide.decision import list_decisions, save_decision, set_status
from core.decide.pareto import pareto_quality_latency
from core.decide.ranking import contribution_frame, rank, ranking_frame
from core.decide.sensitivity import sensitivity, tornado_frame
from core.grading.examples import example_answers
from core.grading.quality_source import DecisionQuality, quality_for_decision, quality_options
from core.models.specs import model_specs, save_model_specs
from store.queries import benchmark_runs

store = get_store()
st.title("Decide")
st.caption(
    "Scores combine the benchmark figures (and quality grades, when you add them) with your weights. "
    "Missing data is shown as missing and never counts as zero; what happens to a model missing a weighted figure "
    "is your rule, chosen above the ranking. A lead inside the measurement noise is called a statistical tie."
)


def show_decisions() -> None:
    decisions_panel(list_decisions(store), partial(set_status, store))


runs = benchmark_runs(store, finished_only=True)
if not runs:
    st.info("No finished benchmark runs yet: run one on the Benchmark page first.")
    st.page_link("app_pages/benchmark.py", label="Go to Benchmark", icon=":material/speed:")
    show_decisions()
    st.stop()

ids = list(runs_frame(runs)["run"])
run_ids = st.multiselect("Runs to decide on (a model's figures come from the newest run it has results in)",
                         ids, default=ids[:1], key="decide-runs")
if not run_ids:
    st.info("Choose at least one run.")
    st.stop()

with st.expander("Quality (from the Grade page)", expanded=True):
    rubric, source = quality_panel(quality_options(store, run_ids))
    try:
        quality = quality_for_decision(store, run_ids, source, rubric)
        override = qualification_panel(quality)
        if override:  # an unqualified judge's scores count only with the reason the record quotes
            quality = quality_for_decision(store, run_ids, source, rubric, override_reason=override)
    except ValueError as exc:
        st.error(md("{error}", error=exc))
        quality = DecisionQuality()
    quality_note(quality)
table = candidate_table_from_store(store, run_ids, quality.quality)
examples = partial(example_answers, store, quality.source, {c.ref: c.run_id for c in table.candidates if c.run_id})
refs = [c.ref for c in table.candidates]
specs = model_specs(store)
with st.expander("Model details: license and size (used by the license and footprint criteria; what the catalog "
                 "and the runs know is filled in)"):
    edited = metadata_editor(specs, table.candidates)
    if edited is not None:
        save_model_specs(store, edited)
        st.rerun()
licenses = sorted({m.license for m in specs.values() if m.license} | {c.license for c in table.candidates if c.license})
with st.expander("Weights and constraints", expanded=True):
    settings = settings_panel(licenses)

st.subheader("Ranking")
rule, entered = missing_data_panel(table)
settings = replace(settings, missing_data=rule, entered=entered)
ranking = rank(table, settings)
colours = colour_map(refs)
for note in table.notes:
    st.caption(md_literal(note))
for criterion, why in ranking.dropped.items():
    st.warning(md("{criterion} left out for every model: {why}", criterion=criterion, why=why))
for excluded in ranking.excluded:  # includes the models with no usable result in the runs
    st.warning(md("**{ref}** excluded: {reasons}", ref=excluded.ref, reasons="; ".join(excluded.reasons)))
if not ranking.ranked:
    st.error("No model passes the constraints and the rule for missing data: relax a limit or choose another rule, "
             "or record below that no model qualifies.")
    st.subheader("Record the decision")
    decision_form(table, settings, ranking, quality.source, partial(save_decision, store), examples)
    show_decisions()
    st.stop()
robustness = sensitivity(ranking, table, settings)
lead_panel(robustness.lead)
if len(ranking.ranked) >= 2:  # what the top two differ by, measured over the prompts both answered
    run_of = {c.ref: c.run_id for c in table.candidates}
    for sentence in statements_between(store, *((m.ref, run_of[m.ref]) for m in ranking.ranked[:2])):
        st.caption(md_literal(sentence))
ranking_table(ranking_frame(ranking))
st.plotly_chart(contribution_figure(contribution_frame(ranking)), theme=None, key="contrib")

pareto = pareto_quality_latency(ranking)
if pareto.points:
    st.plotly_chart(pareto_figure(pareto, colours), theme=None, key="pareto")
if pareto.not_plotted:
    missing = "; ".join(f"{r} ({why})" for r, why in pareto.not_plotted.items())
    st.caption(md("Not on the quality/latency chart: {missing}", missing=missing))

st.subheader("How robust is the winner?")
if ranking.winner:
    share = 100 * robustness.win.probabilities.get(ranking.winner, 0)
    st.markdown(md("Top-ranked: **{winner}**. It wins {share:.0f}% of {draws} draws with random weightings around "
                   "yours and the measurements resampled.", winner=ranking.winner, share=share,
                   draws=robustness.win.draws))
    st.plotly_chart(tornado_figure(tornado_frame(robustness.flips)), theme=None, key="tornado")
    st.plotly_chart(win_probability_figure(robustness.win.probabilities, colours), theme=None, key="win")

st.subheader("Record the decision")
decision_form(table, settings, ranking, quality.source, partial(save_decision, store), examples)
show_decisions()
