"""Start page: the five steps, what the store holds, and the one thing to do next."""

from __future__ import annotations

import streamlit as st

from components.state import get_store
from core.journey import STEPS, next_step
from store.queries import run_counts
from store.records import Table

store = get_store()
counts = store.counts()

st.title("Pickwise")
st.write(
    "Choose the right local language model with evidence: measure candidates on your own prompts, "
    "compare them, grade their answers, and record a decision you can share."
)

suggestion = next_step(store)
st.info(f"**Next:** {suggestion.text}", icon=":material/arrow_forward:")
if suggestion.page:
    st.page_link(suggestion.page, label=suggestion.link_label, icon=":material/open_in_new:")

st.subheader("The five steps")
for number, step in enumerate(STEPS, start=1):
    st.markdown(f"**{number}. {step.title}** — {step.summary}")

st.subheader("In the store")
runs = run_counts(store)  # by kind: a probe is stored as a run, but is no benchmark
figures = [("Endpoints", counts.get(Table.ENDPOINTS, 0)), ("Benchmark runs", runs.get("benchmark", 0)),
           ("Probes", runs.get("probe", 0)), ("Samples", counts.get(Table.SAMPLES, 0)),
           ("Grades", counts.get(Table.GRADES, 0)), ("Decisions", counts.get(Table.DECISIONS, 0))]
for col, (label, value) in zip(st.columns(len(figures)), figures, strict=True):
    col.metric(label, value)
