"""Grade: score a benchmark run's answers with an LLM judge and by hand (blind), against a versioned rubric."""

from __future__ import annotations

from functools import partial

import streamlit as st

from components.grading_manual import ManualGrading, manual_tab
from components.grading_pairwise import pairwise_tab, started_pairwise_job
from components.grading_results import results_tab
from components.grading_widgets import judge_tab, pick_rubric, pick_run, reference_note, started_judge_job
from components.state import get_sources, get_store
from core.engines.base import ModelEntry
from core.grading import (
    Rubric,
    blind_queue,
    export_annotation_csv,
    import_annotation_csv,
    install_presets,
    list_rubrics,
    record_grade,
    rubric_versions,
    save_rubric,
    start_judging,
    start_pairwise,
)
from core.grading.items import gradable_runs
from core.grading.judge_choice import suggest_judge
from core.grading.judge_progress import judge_progress
from core.grading.manual import last_grade, undo_last_grade
from core.grading.pairwise_results import pairwise_view
from core.grading.run_results import run_results
from core.models.listings import background_listings
from store.records import Run

TAB_KEY = "grade-tab"

store = get_store()
install_presets(store)  # the five built-in rubrics exist before anyone picks one

st.title("Grade")
st.caption(
    "How good are the answers, not only how fast? Pick a benchmark run and a rubric, then let a judge model score "
    "every answer, grade them yourself without seeing which model wrote them, or both, and compare."
)


def listed_models() -> list[ModelEntry]:
    return [m for listing in background_listings.listings(get_sources()) for m in listing.models]


def judge(run: Run, rubric: Rubric) -> None:
    judge_tab(run, rubric, judges=listed_models(),
              progress=judge_progress(store, run.run_id, rubric, started_judge_job()),
              start=partial(start_judging, get_sources(), store, run.run_id))


def pairwise(run: Run, rubric: Rubric) -> None:
    models = listed_models()
    pairwise_tab(run, rubric, judges=[m.ref for m in models], suggested=suggest_judge(models, list(run.models)).ref,
                 view=pairwise_view(store, run.run_id, rubric, started_pairwise_job()),
                 start=partial(start_pairwise, get_sources(), store, run.run_id))


def manual(run: Run, rubric: Rubric) -> None:
    run_id = run.run_id
    manual_tab(run, rubric, ManualGrading(
        queue=partial(blind_queue, store, run_id), record=partial(record_grade, store, run_id),
        last=partial(last_grade, store, run_id), undo=partial(undo_last_grade, store, run_id),
        sheet=partial(export_annotation_csv, store, run_id), import_sheet=partial(import_annotation_csv, store, run_id),
    ))


def main() -> None:
    run = pick_run(gradable_runs(store))
    if run is None:
        return
    rubric = pick_rubric({r.name: rubric_versions(store, r.name) for r in list_rubrics(store)},
                         save=partial(save_rubric, store))
    reference_note(run, rubric)
    views = {
        "Judge": lambda: judge(run, rubric),
        "Pairwise": lambda: pairwise(run, rubric),
        "Manual": lambda: manual(run, rubric),
        "Results": lambda: results_tab(run, rubric, run_results(store, run.run_id, rubric)),
    }
    # on_change="rerun": only the open tab runs (the judge tab lists every source's models, results bootstrap CIs)
    for tab, view in zip(st.tabs(list(views), key=TAB_KEY, on_change="rerun"), views.values(), strict=True):
        if tab.open:
            with tab:
                view()


main()
