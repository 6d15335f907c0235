"""Live progress for a background job, polled through the page's reader so a browser reload reattaches."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import streamlit as st

from components.safe_text import md, md_literal
from components.state import cancel_job
from store.records import Job


def job_share(job: Job) -> float:
    """How far the job is, 0..1 (0 while its total is unknown)."""
    total = job.progress.total
    return min(1.0, job.progress.done / total) if total else 0.0


def _eta_text(job: Job) -> str:
    """``done/total · ETA`` from the average pace so far (blank until there is a pace to go on)."""
    done, total = job.progress.done, job.progress.total
    if not total:
        return ""
    text = f"{done:.0f}/{total:.0f}"
    try:
        elapsed = (datetime.now(UTC) - datetime.fromisoformat(job.created_at)).total_seconds()
    except ValueError:
        return text
    if done > 0 and total > done:
        remaining = elapsed / done * (total - done)
        text += f" · about {int(remaining // 60)} min {int(remaining % 60):02d} s left"
    return text


def _outcome(job: Job) -> None:
    if job.state == "completed":
        st.success(md_literal(job.message or "Done."))
    elif job.state == "incomplete":
        st.warning(md_literal(job.message), icon=":material/warning:")
    elif job.state == "cancelled":
        st.warning(md("Cancelled: {message}", message=job.message))
    else:
        st.error(md("{state}: {message}", state=job.state.capitalize(), message=job.message))


def job_panel(job: Job, read_job: Callable[[str], Job | None], *, key: str,
              live: Callable[[], None] | None = None) -> None:
    """``job`` (a jobs-table record) with its outcome, or, while it runs, polled every second through
    ``read_job(job_id)`` (only this fragment reruns); when it ends, the whole page reruns once so it shows
    the job's effects. ``live`` draws extra content (e.g. a live results table) inside the polling fragment."""
    job_id = job.job_id
    if job.state != "running":
        _outcome(job)
        return

    @st.fragment(run_every=1.0)
    def _poll() -> None:
        current = read_job(job_id)
        if current is None or current.state != "running":
            st.rerun()
            return
        eta = _eta_text(current)
        st.progress(job_share(current),
                    text=md_literal(" · ".join(x for x in (eta, current.message or "working…") if x)))
        if live is not None:
            live()
        if current.cancel_requested:
            st.caption("Cancelling: the current request finishes or is abandoned, everything finished is kept.")
        elif st.button("Cancel", key=f"{key}-cancel"):
            cancel_job(job_id)
            st.toast("Cancelling at the next checkpoint…")

    _poll()
