"""The shared sidebar: where the data lives, what it holds, and what is running now.

``app.py`` reads the store's state and passes it in; the live view passes the running jobs to
``running_jobs_panel`` on every tick. The sidebar draws data and never reads the store itself.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from components.job_progress import job_share, progress_text
from components.safe_text import md
from store.records import Job, Table


def render_sidebar(*, path: Path, recovered: object | None, read_only: object | None,
                   counts: dict[str, int]) -> None:
    """``recovered``/``read_only``: the store's notices, each shown as its one sentence (an unreadable file
    moved aside; a store that cannot be written); ``counts``: rows per table. The running jobs are drawn
    by the live view (``running_jobs_panel``), so they move with the page."""
    with st.sidebar:
        if recovered is not None:
            st.error(md("{notice}", notice=recovered), icon=":material/warning:")
        if read_only is not None:
            st.warning(md("You can look at what is stored, but nothing new can be saved. {why}", why=read_only),
                       icon=":material/lock:")
        st.caption(md("Store: {path:code}", path=path))
        st.caption(
            f"{counts.get(Table.RUNS, 0)} runs · {counts.get(Table.SAMPLES, 0)} samples · "
            f"{counts.get(Table.ENDPOINTS, 0)} endpoints"
        )


def running_jobs_panel(running: list[Job]) -> None:
    """Each running job with its bar, ``done/total`` (the figure the page's bar and Runs table show) and ETA."""
    for job in running:
        figures = " · ".join(x for x in (progress_text(job), job.message) if x)
        st.progress(job_share(job), text=md("{label}: {figures}", label=job.label or job.kind, figures=figures))
