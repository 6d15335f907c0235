"""The Pairwise tab: start a pairwise judge (both orders, k samples) and read what it found.

The first thing shown for each judge is whether it can be trusted at all: its position consistency,
with n and interval, and a verdict in words. A small judge that always names Response A is shown as
exactly that (0% consistent, every outcome a tie), not hidden behind a tidy win-rate table. Then the win
rate per model pair with its 95% interval and counts, and the Bradley-Terry ranking across pairs. The page
passes the results (``core.grading.pairwise_results.pairwise_view``) and the action (``start_pairwise``).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from components.job_progress import job_panel
from components.safe_text import md, md_literal
from core import defaults
from core.grading import Rubric, judge_warning
from core.grading.pairwise import MAX_PAIRS, MAX_PROMPTS, MAX_SAMPLES
from core.grading.pairwise_prompt import DEFAULT_MAX_OUTPUT_TOKENS
from core.grading.pairwise_results import CONSISTENT, MOSTLY_FLIPS, PairwiseSummary, PairwiseView
from store.records import Run

PAIRWISE_JOB = "grade-pairwise-job"


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _interval(bounds: tuple[float, float] | None) -> str:
    return "no prompts with an outcome" if bounds is None else f"{bounds[0]:.0%}–{bounds[1]:.0%}"


def win_rate_frame(summary: PairwiseSummary) -> pd.DataFrame:
    """One row per model pair, from the first model's side; ties include the flips."""
    rows = []
    for pair in summary.pairs:
        record = pair.record
        row = {"model": pair.model_x, "against": pair.model_y, "prompts": record.n, "wins": record.wins,
               "ties": record.ties, "of which flips": pair.flips, "losses": record.losses,
               "win rate": _percent(record.rate), "95% interval": _interval(record.interval),
               "unreadable": pair.unreadable}
        if summary.samples > 1:
            row["sample spread (sd)"] = "–" if pair.sample_sd is None else f"{pair.sample_sd:.2f}"
        rows.append(row)
    return pd.DataFrame(rows)


NO_STRENGTH_INTERVAL = "none: read the win rates per pair above, whose intervals say how sure each comparison is"


def strengths_frame(summary: PairwiseSummary) -> pd.DataFrame:
    """Bradley-Terry ranking, each model with its n (prompts with an outcome in its pairs). A strength has no
    interval of its own (refitting on resampled prompts is too slow for a page); the row says so."""
    compared = {model: sum(p.record.n for p in summary.pairs if model in (p.model_x, p.model_y))
                for model in summary.strengths or {}}
    return pd.DataFrame([{"rank": rank, "model": model, "strength": round(value, 2), "comparisons": compared[model],
                          "95% interval": NO_STRENGTH_INTERVAL}
                         for rank, (model, value) in enumerate((summary.strengths or {}).items(), start=1)])


def started_pairwise_job() -> str | None:
    """The pairwise job this session started last, so its outcome stays shown after it ends."""
    return st.session_state.get(PAIRWISE_JOB)


def pairwise_tab(run: Run, rubric: Rubric, judges: list[str], view: PairwiseView,
                 start: Callable[..., str], *,
                 suggested: str | None = None) -> None:
    """Start, watch and read pairwise judging. ``judges``: every listed model; ``suggested``: the judge to
    preselect (none: the user chooses); ``start(judge_ref, rubric, samples=, max_prompts=, max_pairs=,
    max_output_tokens=, timeout_s=)`` is ``core.grading.start_pairwise`` for this run (job id, or ``ValueError``)."""
    st.caption("Two models' answers to the same prompt, shown to the judge in both orders. A verdict that changes "
               "when the answers swap places counts as a tie: the judge was looking at the order, not the answers.")
    job = view.job
    if job is not None:
        st.caption(md_literal(job.label))
        job_panel(job, key="pairwise")
    _form(run, rubric, judges, suggested, start, busy=job is not None and job.state == "running")
    if not view.summaries:
        st.info(md("No pairwise verdicts with {label} for this run yet.", label=rubric.label))
    for summary in view.summaries:
        _results(summary)


def _form(run: Run, rubric: Rubric, refs: list[str], suggested: str | None, start: Callable[..., str], *,
          busy: bool) -> None:
    if not refs:
        st.warning("No model is available to judge with: prepare the default model or add an endpoint first.")
        st.page_link("app_pages/models.py", label="Go to Models", icon=":material/memory:")
        return
    judge = st.selectbox("Judge model", refs, index=refs.index(suggested) if suggested in refs else None,
                         key="grade-pairwise-judge", placeholder="Choose the judge",
                         help="Prefer a model more capable than the candidates, and not one of them.")
    if judge:
        warning = judge_warning(judge, list(run.models))
        if warning:
            st.warning(md_literal(warning), icon=":material/warning:")
    cols = st.columns(5)
    samples = cols[0].number_input("Samples per order", 1, MAX_SAMPLES, 1, key="grade-pairwise-samples",
                                   help="More than one: the judge samples (temperature 0.7); verdicts are averaged "
                                        "and their spread shown.")
    prompts = cols[1].number_input("At most prompts", 1, 10_000, MAX_PROMPTS, key="grade-pairwise-prompts")
    pairs = cols[2].number_input("At most model pairs", 1, 10_000, MAX_PAIRS, key="grade-pairwise-pairs",
                                 help="n models make n(n-1)/2 pairs; each pair costs 2 x samples requests per prompt.")
    tokens = cols[3].number_input("Max output tokens", 32, 4000, DEFAULT_MAX_OUTPUT_TOKENS, step=32,
                                  key="grade-pairwise-tokens")
    timeout = cols[4].number_input("Timeout (s)", 5, 1800, int(defaults.REQUEST_TIMEOUT_S), step=5,
                                   key="grade-pairwise-timeout")
    blocked = ("A judge is running: wait for it or cancel it first." if busy
               else "Choose the judge first." if not judge else None)
    if st.button(md("Compare answers pairwise with {label}", label=rubric.label), type="primary",
                 key="grade-pairwise-start", icon=":material/compare_arrows:", disabled=blocked is not None,
                 help=blocked):
        try:
            job_id = start(judge, rubric, samples=int(samples), max_prompts=int(prompts), max_pairs=int(pairs),
                           max_output_tokens=int(tokens), timeout_s=float(timeout))
        except ValueError as exc:
            st.error(md("{error}", error=exc))
            return
        st.session_state[PAIRWISE_JOB] = job_id
        st.rerun()


def _results(summary: PairwiseSummary) -> None:
    st.subheader(md("Judge {judge} · {rubric}", judge=summary.judge_ref, rubric=summary.rubric))
    consistency = summary.consistency
    left, middle, right = st.columns(3)
    left.metric("Position consistency", _percent(consistency.rate),
                help="Share of (prompt, pair) whose verdict stayed the same when the answers swapped places.")
    middle.metric("Named Response A", _percent(summary.first_position.rate),
                  help="Of the verdicts naming a winner: 50% means no preference for either position.")
    right.metric("Unreadable replies", _percent(summary.parse_failure_rate),
                 help="Replies naming no winner: kept with the raw reply, never counted as ties.")
    first = summary.first_position
    st.caption(md("Position consistency {k} of {n}, 95% interval {interval} · named Response A in {a} of {named} "
                  "verdicts, 95% interval {first_interval} · {bad} of {total} replies unreadable · {samples} "
                  "sample(s) per order",
                  k=consistency.k, n=consistency.n, interval=_interval(consistency.interval),
                  a=first.k, named=first.n, first_interval=_interval(first.interval), bad=summary.unreadable_verdicts,
                  total=summary.verdicts, samples=summary.samples))
    box = {CONSISTENT: st.success, MOSTLY_FLIPS: st.warning}.get(summary.level or "", st.info)
    box(md_literal(summary.verdict))
    st.markdown("**Win rate per pair** (a tie counts as half a win)")
    st.caption("The 95% interval is exact over prompts and spans the ties both ways: a pair decided only by ties "
               "reads 0%–100%, because the judge did not say who is better. Overlapping 50% means no clear winner.")
    st.dataframe(win_rate_frame(summary), hide_index=True)
    if summary.strengths:
        st.markdown("**Ranking across pairs** (Bradley-Terry)")
        st.caption("One scale for every model from all pairs: strength 2.0 beats 1.0 two times in three. "
                    "A model that wins every comparison is pulled in by one virtual tie per pair.")
        st.dataframe(strengths_frame(summary), hide_index=True)
