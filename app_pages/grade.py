"""Grade: score a benchmark run's answers with an LLM judge and by hand (blind), against a versioned rubric."""

from __future__ import annotations

import streamlit as st

from components.grading_manual import manual_tab
from components.grading_results import results_tab
from components.grading_widgets import judge_tab, pick_rubric, pick_run, reference_note
from components.state import get_sources, get_store
from core.grading import install_presets

TAB_KEY = "grade-tab"

store = get_store()
install_presets(store)  # the five built-in rubrics exist before anyone picks one

st.title("Grade")
st.caption(
    "How good are the answers, not only how fast? Pick a benchmark run and a rubric, then let a judge model score "
    "every answer, grade them yourself without seeing which model wrote them, or both, and compare."
)


def main() -> None:
    run = pick_run(store)
    if run is None:
        return
    rubric = pick_rubric(store)
    reference_note(run, rubric)
    views = {
        "Judge": lambda: judge_tab(store, get_sources(), run, rubric),
        "Manual": lambda: manual_tab(store, run, rubric),
        "Results": lambda: results_tab(store, run, rubric),
    }
    # on_change="rerun": only the open tab runs (the judge tab lists every source's models, results bootstrap CIs)
    for tab, view in zip(st.tabs(list(views), key=TAB_KEY, on_change="rerun"), views.values(), strict=True):
        if tab.open:
            with tab:
                view()


main()
