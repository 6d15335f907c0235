"""The shared sidebar: where the data lives, what it holds, and what is running now.

``app.py`` reads the store's state and passes it in: the file's notices once per page (``render_sidebar``), the
counts and the running jobs on every tick of the live view (``live_sidebar``), so a run's samples count up
while it runs. The sidebar draws data and never reads the store itself.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from components.job_progress import job_share, progress_text
from components.safe_text import md
from store.records import Job, Table


def render_sidebar(*, path: Path, recovered: object | None, read_only: object | None) -> None:
    """``recovered``/``read_only``: the store's notices, each shown as its one sentence (an unreadable file
    moved aside; a store that cannot be written), then where the store is."""
    with st.sidebar:
        if recovered is not None:
            st.error(md("{notice}", notice=recovered), icon=":material/warning:")
        if read_only is not None:
            st.warning(md("You can look at what is stored, but nothing new can be saved. {why}", why=read_only),
                       icon=":material/lock:")
        st.caption(md("Store: {path:code}", path=path))


def live_sidebar(running: list[Job], counts: dict[str, int], runs_by_kind: dict[str, int], judging_jobs: int) -> None:
    """What the store holds (``counts``: rows per table; ``runs_by_kind``: runs per kind,
    ``store.queries.run_counts``; ``judging_jobs``: judge and pairwise jobs), then each running job: drawn by the
    live view on every tick, so the figures move with the page."""
    st.caption(store_line(counts, runs_by_kind, judging_jobs))
    running_jobs_panel(running)


def store_line(counts: dict[str, int], runs_by_kind: dict[str, int], judging_jobs: int) -> str:
    """``"2 benchmark runs · 5 probes · 1 judging job · 340 samples · 2 endpoints"``: runs counted by kind, so
    the figure agrees with the Benchmark page's list (a probe is a run too, but no benchmark)."""
    figures = [(runs_by_kind.get("benchmark", 0), "benchmark run"), (runs_by_kind.get("probe", 0), "probe"),
               (judging_jobs, "judging job"), (counts.get(Table.SAMPLES, 0), "sample"),
               (counts.get(Table.ENDPOINTS, 0), "endpoint")]
    return " · ".join(f"{n} {word}{'' if n == 1 else 's'}" for n, word in figures)


def running_jobs_panel(running: list[Job]) -> None:
    """Each running job with its bar, ``done/total`` (the figure the page's bar and Runs table show) and ETA."""
    for job in running:
        figures = " · ".join(x for x in (progress_text(job), job.message) if x)
        st.progress(job_share(job), text=md("{label}: {figures}", label=job.label or job.kind, figures=figures))
