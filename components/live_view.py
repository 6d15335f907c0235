"""The one live view of running jobs: every moving figure on a page is drawn from one read, on one cadence.

Why one: the sidebar's running-jobs panel used to be drawn once per full rerun, the Runs table too, while
only the progress bar polled in its own fragment; so during a run the sidebar and the table stood still
("round 3", ~25%) while the bar and the live table moved on. Now the frame (``app.py``) runs ONE fragment
after the page: it reads the running jobs once and draws, from that one list, the sidebar's panel and every
place a page reserved with ``live_slot`` (a progress bar, a live table, the Runs table). Everything moves
together, once a second while a job runs; when a job ends the whole page reruns once to show its effects.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from store.records import Job

LIVE_EVERY_S = 1.0
_SLOTS = "live-view-slots"

Draw = Callable[[list[Job]], None]


def begin_live_view() -> None:
    """Start a full run with no reserved places (``app.py`` calls it before the page runs)."""
    st.session_state[_SLOTS] = []


def live_slot(draw: Draw) -> None:
    """Reserve this place on the page for content the live view draws with ``draw(running_jobs)``."""
    st.session_state.setdefault(_SLOTS, []).append((st.container(), draw))


def live_view(read_running: Callable[[], list[Job]], sidebar: Draw) -> None:
    """The fragment: ``read_running()`` once per tick, ``sidebar(jobs)`` into the sidebar, then each slot.

    Polls only while something runs (a job started by a click reruns the page, which starts the polling)."""
    slots = list(st.session_state.get(_SLOTS, []))
    started = {job.job_id for job in read_running()}

    @st.fragment(run_every=LIVE_EVERY_S if started else None)
    def _live() -> None:
        jobs = read_running()
        if started - {job.job_id for job in jobs}:  # a job ended: the whole page shows what it left
            st.rerun()
        with st.sidebar:
            sidebar(jobs)
        for container, draw in slots:
            with container:
                draw(jobs)

    _live()
