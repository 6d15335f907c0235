"""Grade page widgets: which run, which rubric (and its editor), and the LLM-as-judge tab.

Every score records the rubric name and version it used, so the chosen version is shown next to
every action; the editor never changes a stored version, it saves a new one. The page passes what
is stored (runs, rubric versions, judging progress) and the actions (save a rubric, start judging).
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from components.grading_frames import (
    EDITOR_COLUMNS,
    LEVEL_COLUMNS,
    criteria_frame,
    parse_stats_frame,
    reference_count,
    rubric_from_editor,
)
from components.job_progress import job_panel
from components.safe_text import md, md_literal, show_model_text
from core import defaults
from core.compare.runs import run_label
from core.engines.base import ModelEntry
from core.grading import Rubric, judge_warning
from core.grading.controls import Qualification
from core.grading.judge import DEFAULT_MAX_OUTPUT_TOKENS
from core.grading.judge_choice import suggest_judge
from core.grading.judge_progress import JudgeProgress
from store.records import Run

RUBRIC_KEY = "grade-rubric"
DEFAULT_RUBRIC = defaults.RUBRIC
PENDING_RUBRIC = "grade-rubric-pending"  # set by the editor, applied before the picker exists
SAVED_NOTE = "grade-rubric-saved"
JUDGE_JOB = "grade-judge-job"
MAX_UNSCORED_SHOWN = 20


def _version_key(name: str) -> str:
    return f"grade-rubric-version-{name}"


# --- run -------------------------------------------------------------------------------------------


def pick_run(runs: list[Run]) -> Run | None:
    """The benchmark run to grade among ``runs`` (``core.grading.items.gradable_runs``), or ``None`` (with the
    way forward) when there is none yet."""
    if not runs:
        st.info("Run a benchmark first: grading scores the answers a benchmark run stored, and there is no "
                "benchmark run with answers yet.", icon=":material/speed:")
        st.page_link("app_pages/benchmark.py", label="Go to Benchmark", icon=":material/speed:")
        return None
    by_id = {r.run_id: r for r in runs}
    run_id = st.selectbox("Benchmark run", list(by_id), format_func=lambda i: run_label(by_id[i]), key="grade-run",
                          help="Newest first. Every answer of the run is graded once (identical repeats count once).")
    return by_id[run_id]


# --- rubric ----------------------------------------------------------------------------------------


def _apply_pending_choice() -> None:
    """Point the pickers at a rubric the editor just saved (a widget's value can only be set before it
    is drawn, so the editor leaves the choice here and reruns)."""
    pending = st.session_state.pop(PENDING_RUBRIC, None)
    if pending:
        name, version = pending
        st.session_state[RUBRIC_KEY] = name
        st.session_state[_version_key(name)] = version


def pick_rubric(catalog: dict[str, list[Rubric]], save: Callable[[Rubric], Rubric]) -> Rubric:
    """The rubric and version to grade with (latest by default), its anchors, and the editor.

    ``catalog``: every stored rubric by name, its versions oldest first; ``save``: ``core.grading.save_rubric``
    (a new version, or the latest when nothing changed; ``ValueError`` for a rubric that does not fit)."""
    _apply_pending_choice()
    latest = {name: versions[-1] for name, versions in catalog.items()}
    if DEFAULT_RUBRIC in latest:
        st.session_state.setdefault(RUBRIC_KEY, DEFAULT_RUBRIC)  # fits any prompt; needs no reference answer
    left, right = st.columns([3, 1])
    name = left.selectbox("Rubric", list(latest), key=RUBRIC_KEY,
                          format_func=lambda n: f"{n} (latest v{latest[n].version})")
    versions = {r.version: r for r in catalog[name]}
    st.session_state.setdefault(_version_key(name), latest[name].version)  # latest, until the user picks another
    version = right.selectbox("Version", list(versions), key=_version_key(name),
                              format_func=lambda v: f"v{v}" + (" (latest)" if v == latest[name].version else ""))
    rubric = versions[version]
    note = st.session_state.pop(SAVED_NOTE, None)
    if note:
        st.success(md_literal(note))
    about = md(" · {description}", description=rubric.description) if rubric.description else ""
    st.caption(md("Grading with **{label}**", label=rubric.label) + about + "  \nEvery score records this "
               "version; scores made with other versions are kept apart.")
    with st.expander(md("What each score means in {label}", label=rubric.label), icon=":material/rule:"):
        st.dataframe(criteria_frame(rubric), hide_index=True)
    with st.expander("Edit this rubric or create a new one", icon=":material/edit:"):
        _rubric_editor(rubric, save)
    return rubric


def _rubric_editor(rubric: Rubric, save: Callable[[Rubric], Rubric]) -> None:
    """A form over the rubric; saving writes a new version (or a new rubric at v1 under a new name)."""
    prefix = f"grade-edit-{rubric.name}-{rubric.version}"
    with st.form(prefix):
        st.caption("Keep the name to save a new version of this rubric; a new name starts a new rubric at v1. "
                   "Each criterion needs a short key (lower-case letters, digits, '_': it becomes a CSV column), a "
                   "title, the question a grader answers, and what a 1, 2, 3, 4 and 5 look like.")
        name = st.text_input("Name", value=rubric.name, key=f"{prefix}-name")
        description = st.text_input("Description", value=rubric.description, key=f"{prefix}-description")
        uses_reference = st.checkbox("Grade against the prompt's reference answer", value=rubric.uses_reference,
                                     key=f"{prefix}-reference",
                                     help="Reference answers come from the run's prompt set; the judge skips "
                                          "answers to prompts that have none.")
        config = {c: st.column_config.TextColumn(c, width="medium") for c in EDITOR_COLUMNS}
        config.update({c: st.column_config.TextColumn(f"{c[-1]} looks like", width="medium") for c in LEVEL_COLUMNS})
        rows = st.data_editor(criteria_frame(rubric), num_rows="dynamic", hide_index=True, column_config=config,
                              key=f"{prefix}-criteria")
        submitted = st.form_submit_button("Save as a new version", icon=":material/save:")
    if not submitted:
        return
    try:
        saved = save(rubric_from_editor(name, description, uses_reference, rows))
    except ValueError as exc:
        st.error(md("Not saved: {error} Your edits are still in the form.", error=exc))
        return
    if (saved.name, saved.version) == (rubric.name, rubric.version):
        st.info(md("Nothing changed: {label} stays as it is.", label=rubric.label))
        return
    st.session_state[PENDING_RUBRIC] = (saved.name, saved.version)
    st.session_state[SAVED_NOTE] = f"Saved {saved.label}. Earlier versions and their scores are unchanged."
    st.rerun()


def reference_note(run: Run, rubric: Rubric) -> None:
    """Where reference answers come from, and what happens to prompts without one."""
    with_ref, prompts = reference_count(run)
    text = f"Reference answers come from the run's prompt set: {with_ref} of {prompts} prompts have one."
    if rubric.uses_reference and with_ref < prompts:
        st.warning(md("{text} {label} grades against the reference, so the judge skips answers to the {n} prompts "
                      "without one.", text=text, label=rubric.label, n=prompts - with_ref), icon=":material/info:")
    else:
        st.caption(text)


# --- judge -----------------------------------------------------------------------------------------


def started_judge_job() -> str | None:
    """The judge job this session started last, so its outcome stays shown after it ends."""
    return st.session_state.get(JUDGE_JOB)


def judge_tab(run: Run, rubric: Rubric, judges: list[ModelEntry], progress: JudgeProgress,
              start: Callable[..., str]) -> None:
    """Pick a judge among ``judges`` (every listed model; the most capable non-candidate preselected, or
    none), see its warnings and whether it passed its control answers, start/watch/cancel judging, judge
    the unscored again, and read how often it could be parsed. ``start(judge_ref, rubric,
    max_output_tokens=, timeout_s=, retry_unscored=)`` is ``core.grading.start_judging`` for this run; it
    returns the job id or refuses with ``ValueError``."""
    job = progress.job
    if job is not None:
        st.caption(md_literal(job.label))
        job_panel(job, key="judge")
    # drawn while a job runs too (start disabled): a widget left undrawn for a run forgets its value
    _judge_form(run, rubric, judges, progress, start, busy=job is not None and job.state == "running")
    _parse_failures(progress)


def _judge_form(run: Run, rubric: Rubric, models: list[ModelEntry], progress: JudgeProgress,
                start: Callable[..., str], *, busy: bool) -> None:
    if not models:
        st.warning("No model is available to judge with: prepare the default model or add an endpoint first.")
        st.page_link("app_pages/models.py", label="Go to Models", icon=":material/memory:")
        return
    candidates = list(run.models)
    refs = [m.ref for m in models]
    suggestion = suggest_judge(models, candidates)
    judge = st.selectbox("Judge model", refs, index=refs.index(suggestion.ref) if suggestion.ref else None,
                         key="grade-judge", placeholder="Choose a judge model",
                         help="It grades each answer against the rubric at temperature 0. Prefer a model more capable "
                              "than the ones it grades, and not one of them.")
    st.caption(md_literal(suggestion.reason))
    warning = judge_warning(judge, candidates) if judge else None
    if warning:
        st.warning(md_literal(warning), icon=":material/warning:")
    _qualification(progress.qualifications.get(judge) if judge else None)
    done = progress.judged.get(judge, 0) if judge else 0
    if done:
        st.caption(md("{n} answers already judged by {judge} with {label}; starting again judges only the rest.",
                      n=done, judge=judge, label=rubric.label))
    left, right = st.columns(2)
    max_tokens = left.number_input("Judge's max output tokens", 32, 4000, DEFAULT_MAX_OUTPUT_TOKENS, step=32,
                                   key="grade-judge-tokens", help="Bounds each reply so a rambling judge cannot stall.")
    timeout = right.number_input("Timeout per answer (s)", 5, 1800, int(defaults.REQUEST_TIMEOUT_S), step=5,
                                 key="grade-judge-timeout")
    settings = {"max_output_tokens": int(max_tokens), "timeout_s": float(timeout)}
    busy_help = "A judge is running: wait for it or cancel it first." if busy else None
    if st.button(md("Start judging with {label}", label=rubric.label), type="primary", key="grade-judge-start",
                 icon=":material/gavel:", disabled=busy or judge is None,
                 help=busy_help or ("Choose a judge model first." if judge is None else None)):
        _start(start, judge, rubric, **settings)
    unscored = progress.unscored_here.get(judge, 0) if judge else 0
    if unscored and st.button(f"Judge the {unscored} unscored answers again", key="grade-judge-retry",
                              icon=":material/replay:", disabled=busy, help=busy_help or
                              "Each new verdict replaces the unscored one. Raise the max output tokens first if the "
                              "replies were cut off."):
        _start(start, judge, rubric, retry_unscored=True, **settings)


def _start(start: Callable[..., str], judge: str, rubric: Rubric, **settings: object) -> None:
    try:
        job_id = start(judge, rubric, **settings)
    except ValueError as exc:
        st.error(md("{error}", error=exc))
        return
    st.session_state[JUDGE_JOB] = job_id
    st.rerun()


def _qualification(qualification: Qualification | None) -> None:
    """Whether the judge told the good control answers from the bad ones, in words, before any score is used."""
    st.caption("Every judging pass also judges control answers built from the prompts' reference answers (the "
               "reference itself, and bad ones: another prompt's reference, an empty or truncated answer, a planted "
               "error), blind among the real answers and never counted as a model's quality.")
    if qualification is None:
        return
    if qualification.qualified:
        st.success(md_literal(qualification.verdict), icon=":material/verified:")
    else:
        st.warning(md_literal(qualification.verdict), icon=":material/gpp_bad:")


def _parse_failures(progress: JudgeProgress) -> None:
    """How often each judge's replies could be read, and the ones that could not, verbatim."""
    stats, unscored = progress.parse_stats, progress.unscored
    if not stats:
        return
    st.subheader("Could the judge's replies be read?")
    st.caption("Unscored = no valid 1-5 score for every criterion even after one stricter retry. Unscored answers "
               "are left out of every average (never counted as 0) and counted in the results.")
    st.dataframe(parse_stats_frame(stats), hide_index=True)
    if unscored:
        with st.expander(f"Replies that could not be scored ({len(unscored)})"):
            for judgment in unscored[:MAX_UNSCORED_SHOWN]:
                st.text(f"{judgment.item_id} · {judgment.judge_ref} · {judgment.problem or ''}")
                show_model_text("\n\n--- retry ---\n\n".join(judgment.raw_replies))
            if len(unscored) > MAX_UNSCORED_SHOWN:
                st.caption(f"Showing the first {MAX_UNSCORED_SHOWN}.")
