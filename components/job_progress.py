"""Live progress for a background job, polled through the page's reader so a browser reload reattaches."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import streamlit as st

from components.safe_text import md, md_literal
from core.jobs import cancel_job, is_live


def _eta_text(job: dict, done: float, total: float | None) -> str:
    """``done/total · ETA`` from the average pace so far (blank until there is a pace to go on)."""
    if not total:
        return ""
    text = f"{done:.0f}/{total:.0f}"
    try:
        elapsed = (datetime.now(UTC) - datetime.fromisoformat(job["created_at"])).total_seconds()
    except (KeyError, TypeError, ValueError):
        return text
    if done > 0 and total > done:
        remaining = elapsed / done * (total - done)
        text += f" · about {int(remaining // 60)} min {int(remaining % 60):02d} s left"
    return text


def _outcome(job: dict) -> None:
    state, message = job.get("state"), job.get("message") or ""
    if state == "completed":
        st.success(md_literal(message or "Done."))
    elif state == "cancelled":
        st.warning(md("Cancelled: {message}", message=message))
    else:
        st.error(md("{state}: {message}", state=(state or "failed").capitalize(), message=message))


def job_panel(job: dict, read_job: Callable[[str], dict | None], *, key: str,
              live: Callable[[], None] | None = None) -> None:
    """``job`` (a jobs-table record) with its outcome, or, while it runs, polled every second through
    ``read_job(job_id)`` (only this fragment reruns); when it ends, the whole page reruns once so it shows
    the job's effects. ``live`` draws extra content (e.g. a live results table) inside the polling fragment."""
    job_id = job["job_id"]
    if job.get("state") != "running":
        _outcome(job)
        return

    @st.fragment(run_every=1.0)
    def _poll() -> None:
        current = read_job(job_id) or {}
        if current.get("state") != "running":
            st.rerun()
        progress = current.get("progress") or {}
        done, total = progress.get("done") or 0, progress.get("total")
        share = min(1.0, done / total) if total else 0.0
        eta = _eta_text(current, done, total)
        st.progress(share, text=md_literal(" · ".join(x for x in (eta, current.get("message") or "working…") if x)))
        if live is not None:
            live()
        if is_live(job_id) and st.button("Cancel", key=f"{key}-cancel"):
            cancel_job(job_id)
            st.toast("Cancelling at the next checkpoint…")

    _poll()
