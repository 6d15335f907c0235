"""A background job on a page: its outcome, or its live progress and Cancel (drawn by the page's live view,
which reads the jobs from the store, so a browser reload reattaches)."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from components.live_view import live_slot
from components.safe_text import md, md_literal
from components.state import cancel_job
from core.eta import eta_text
from store.records import Job


def job_share(job: Job) -> float:
    """How far the job is, 0..1 (0 while its total is unknown)."""
    total = job.progress.total
    return min(1.0, job.progress.done / total) if total else 0.0


def done_of_total(job: Job) -> str:
    """``"74/96"``: the figure the sidebar, the progress bar and the Runs table all show (blank while the
    total is unknown)."""
    done, total = job.progress.done, job.progress.total
    return f"{done:.0f}/{total:.0f}" if total else ""


def progress_text(job: Job) -> str:
    """``"74/96 · about 2 min 41 s left"`` (``"estimating…"`` until the pace can be trusted, ``core.eta``): what
    the page's bar and the sidebar both say."""
    return " · ".join(x for x in (done_of_total(job), eta_text(job.progress, job.created_at)) if x)


def _outcome(job: Job) -> None:
    if job.state == "completed":
        st.success(md_literal(job.message or "Done."))
    elif job.state == "incomplete":
        st.warning(md_literal(job.message), icon=":material/warning:")
    elif job.state == "cancelled":
        st.warning(md("Cancelled: {message}", message=job.message))
    else:
        st.error(md("{state}: {message}", state=job.state.capitalize(), message=job.message))


def job_panel(job: Job, *, key: str, live: Callable[[], None] | None = None) -> None:
    """``job`` (a jobs-table record) with its outcome, or, while it runs, its progress bar and Cancel drawn
    here by the page's live view (``components.live_view``) from the same read as the sidebar; ``live``
    draws extra content (e.g. a live results table) right under the bar on the same tick."""
    if job.state != "running":
        _outcome(job)
        return
    job_id = job.job_id

    def draw(running: list[Job]) -> None:
        current = next((j for j in running if j.job_id == job_id), None)
        if current is None:  # it ended: the live view reruns the page, which shows the outcome
            return
        eta = progress_text(current)
        st.progress(job_share(current),
                    text=md_literal(" · ".join(x for x in (eta, current.message or "working…") if x)))
        if live is not None:
            live()
        if current.cancel_requested:
            st.caption("Cancelling: the current request finishes or is abandoned, everything finished is kept.")
        elif st.button("Cancel", key=f"{key}-cancel"):
            cancel_job(job_id)
            st.toast("Cancelling at the next checkpoint…")

    live_slot(draw)
