"""The Manual tab: blind grading one answer at a time, and the same work through a CSV sheet.

Blind: the grader sees an opaque item id, the prompt, the reference and the answer, never the
model. Resumable: the queue is rebuilt from the store on every render, so a reload, a new browser or
a later day continue where this grader stopped. A form keeps every click until "Save and next", and a
refused save (a criterion left empty) keeps them too. After a save the next answer comes up with the
keyboard focus on its first score (scrolled into view), so a grader can go on with Tab, arrows and Enter;
"Undo last grade" takes the newest saved grade back and shows that answer again with its scores and
comment filled in. What the tab does to the store comes in as ``ManualGrading``, ``core.grading.manual``'s
functions bound by the page to one run.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import streamlit as st

from components.grading_frames import problems_frame
from components.safe_text import md, show_model_text
from core.grading import BlindItem, GradingQueue, ImportReport, Rubric
from core.grading.rubric import LEVELS
from store.records import Grade, Run

GRADER_KEY = "grade-grader"
IMPORT_REPORT = "grade-import-report"
UNDONE = "grade-undone"  # the grade "Undo last grade" took back: its item is shown again, prefilled
MOVED = "grade-moved"  # a save or an undo just changed the answer shown: move the focus to it


@dataclass(frozen=True)
class ManualGrading:
    """The manual-grading actions on one run, as ``core.grading.manual`` defines them minus ``store, run_id``."""

    queue: Callable[..., GradingQueue]  # blind_queue(grader, rubric, first=item_id)
    record: Callable[[str, str, Rubric, dict[str, int | None], str], object]  # record_grade(item_id, grader, ...)
    last: Callable[[str, Rubric], Grade | None]  # last_grade(grader, rubric)
    undo: Callable[[str, Rubric], Grade | None]  # undo_last_grade(grader, rubric)
    sheet: Callable[[Rubric], str]  # export_annotation_csv(rubric)
    import_sheet: Callable[[str, Rubric, bytes], ImportReport]  # import_annotation_csv(grader, rubric, data)


def manual_tab(run: Run, rubric: Rubric, grading: ManualGrading) -> None:
    """Grader name, progress, the next blind item, then the spreadsheet route."""
    grader = st.text_input("Your name or initials", key=GRADER_KEY, max_chars=60,
                           help="Grades are kept per grader, so you can stop at any time and resume later.").strip()
    if not grader:
        st.info("Enter your name or initials to start grading: your grades are kept under it, so you can stop "
                "and resume later.", icon=":material/person:")
    else:
        undone: Grade | None = st.session_state.get(UNDONE)
        if undone and (undone.grader, undone.rubric_name, undone.rubric_version) != (grader, rubric.name,
                                                                                      rubric.version):
            undone = None  # taken back under another name or rubric: nothing to bring back here
        queue = grading.queue(grader, rubric, first=undone.item_id if undone else None)
        _progress(queue)
        _undo_last(grading, grader, rubric)
        if queue.remaining:
            item = queue.remaining[0]
            _grade_form(grading, grader, rubric, item, undone if undone and undone.item_id == item.item_id else None)
            if st.session_state.pop(MOVED, False):
                _focus_on(item)
        elif queue.total:
            st.success(md("All {n} answers graded by {grader} with {label}. See the Results tab.", n=queue.total,
                          grader=grader, label=rubric.label))
        else:
            st.info("This run has no answers to grade (every request failed or was a warm-up).")
    _spreadsheet(grading, run.run_id, grader, rubric)


def _progress(queue: GradingQueue) -> None:
    share = queue.done / queue.total if queue.total else 0.0
    st.progress(share, text=f"{queue.done} of {queue.total} graded")


def _undo_last(grading: ManualGrading, grader: str, rubric: Rubric) -> None:
    """What was saved last, with the link that takes it back (and shows that answer again)."""
    last = grading.last(grader, rubric)
    if last is None:
        return
    scores = ", ".join(f"{c.title} {last.scores[c.key]}" for c in rubric.criteria if c.key in last.scores)
    left, right = st.columns([4, 1], vertical_alignment="center")
    left.caption(md("Saved answer {item}: {scores}.", item=last.item_id, scores=scores))
    if right.button("Undo last grade", key="grade-undo", type="tertiary", icon=":material/undo:",
                    help="Removes this grade and shows the answer again, your scores filled in"):
        undone = grading.undo(grader, rubric)
        if undone is not None:
            for key in [k for k in st.session_state if str(k).startswith(f"grade-score-{undone.item_id}-")]:
                del st.session_state[key]  # so the form starts from the undone scores
            st.session_state.pop(f"grade-comment-{undone.item_id}", None)
            st.session_state[UNDONE], st.session_state[MOVED] = undone, True
        st.rerun()


def _focus_on(item: BlindItem) -> None:
    """Scroll the progress, the undo line and the answer's form into view and put the keyboard focus on its
    first score, so Tab, arrows and Enter carry on from one answer to the next. The item id is a hash (``i-``
    and hex), JSON-quoted anyway."""
    st.html(f"""<script>
(() => {{
  const id = {json.dumps(item.item_id)};
  const focus = (tries) => {{
    const form = [...document.querySelectorAll('[data-testid="stForm"]')].find(f => f.textContent.includes(id));
    const radio = form && form.querySelector('input[type="radio"]');
    if (!radio) {{ if (tries > 0) setTimeout(() => focus(tries - 1), 100); return; }}
    // from the progress bar down: how far along, what was saved (with its undo) and the new answer's top,
    // clear of the app's sticky header
    const top = document.querySelector('[data-testid="stProgress"]') || form;
    top.style.scrollMarginTop = "4.5rem";
    top.scrollIntoView({{block: "start"}});
    radio.focus({{preventScroll: true}});
  }};
  focus(50);
}})();
</script>""", unsafe_allow_javascript=True)


def _grade_form(grading: ManualGrading, grader: str, rubric: Rubric, item: BlindItem,
                undone: Grade | None = None) -> None:
    """One answer, a 1-5 choice per criterion (each level's anchor under its number), a comment; the scores
    and comment of ``undone`` (the grade just taken back for this answer) filled in.

    The levels stand in a column: anchors are sentences, and side by side they wrap unevenly."""
    before: dict[str, Any] = dict(undone.scores) if undone else {}
    with st.form(f"grade-item-{item.item_id}-{rubric.name}-{rubric.version}"):
        st.caption(f"Answer `{item.item_id}` · the model is hidden so its name cannot sway the score.")
        st.markdown("**Prompt**")
        show_model_text(item.prompt)
        if item.reference:
            st.markdown("**Reference answer**")
            show_model_text(item.reference)
        st.markdown("**Response**")
        show_model_text(item.response, empty="(the model gave an empty answer)")
        scores = {c.key: st.radio(md("**{title}**: {question}", title=c.title, question=c.question), LEVELS,
                                  index=LEVELS.index(before[c.key]) if before.get(c.key) in LEVELS else None,
                                  captions=[md("{level}", level=level) for level in c.levels],
                                  key=f"grade-score-{item.item_id}-{c.key}") for c in rubric.criteria}
        comment = st.text_area("Comment (optional)", value=undone.comment if undone else "",
                               key=f"grade-comment-{item.item_id}", height=80)
        submitted = st.form_submit_button("Save and next", type="primary", icon=":material/navigate_next:")
    if not submitted:
        return
    try:
        grading.record(item.item_id, grader, rubric, scores, comment)
    except ValueError as exc:
        st.error(md("Not saved: {error}. Choose a score from 1 to 5 for every criterion; your choices are kept.",
                    error=exc))
        return
    st.session_state.pop(UNDONE, None)
    st.session_state[MOVED] = True
    st.rerun()


# --- spreadsheet route -----------------------------------------------------------------------------


def _spreadsheet(grading: ManualGrading, run_id: str, grader: str, rubric: Rubric) -> None:
    with st.expander("Grade in a spreadsheet instead (CSV)", icon=":material/table:",
                     expanded=IMPORT_REPORT in st.session_state):
        st.caption(md("The sheet lists every answer blind, in the same order, with one empty column per criterion "
                      "({keys}) and a comment column. Fill in whole numbers from 1 to 5, save as CSV and import it "
                      "here under your name; rows left empty stay ungraded.", keys=", ".join(rubric.keys)))
        st.download_button(
            "Download the annotation sheet", data=partial(grading.sheet, rubric),
            file_name=f"pickwise-grades-{run_id}-{rubric.name}-v{rubric.version}.csv", mime="text/csv",
            on_click="ignore", icon=":material/download:", key="grade-export",
        )
        upload = st.file_uploader("Filled-in sheet", type=["csv"], key="grade-import-file")
        if st.button("Import grades", key="grade-import", disabled=upload is None or not grader,
                     help=None if grader else "Enter your name or initials above first"):
            _import(grading, run_id, grader, rubric, upload.getvalue())
        _import_report(run_id, rubric)


def _import(grading: ManualGrading, run_id: str, grader: str, rubric: Rubric, data: bytes) -> None:
    try:
        report = grading.import_sheet(grader, rubric, data)
    except ValueError as exc:
        st.error(md("Nothing imported: {error}", error=exc))
        return
    st.session_state[IMPORT_REPORT] = (run_id, rubric.label, report)
    st.rerun()  # so the progress above counts the imported grades


def _import_report(run_id: str, rubric: Rubric) -> None:
    """The last import's outcome: what was stored, and every bad row by row, column and reason."""
    stored = st.session_state.get(IMPORT_REPORT)
    if not stored or stored[:2] != (run_id, rubric.label):
        return
    report: ImportReport = stored[2]
    summary = (f"Imported {report.stored} grades ({report.added} new, {report.replaced} replaced); "
               f"{report.blank_rows} empty rows left ungraded.")
    (st.success if report.stored else st.info)(summary)
    if report.problems:
        rows = ", ".join(str(r) for r in report.bad_rows)
        st.error(f"{len(report.bad_rows)} rows were not imported (rows {rows}). Fix them in the sheet and import it "
                 "again; the good rows are already stored and importing again replaces, never duplicates.")
        st.dataframe(problems_frame(report), hide_index=True)
