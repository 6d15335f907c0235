"""Pickwise: navigation and the frame every page shares (store status, running jobs).

Store failures (a file from a newer Pickwise, a full or read-only disk, a lock another process
keeps) are caught here once for every page: the user gets the store's one-sentence error in a
box instead of a traceback, and nothing stored is touched. After the page, the one live view
(``components.live_view``) draws the running jobs into the sidebar and the page's live places.
"""

from __future__ import annotations

from functools import partial

import streamlit as st

from components.live_view import begin_live_view, live_view
from components.safe_text import md
from components.sidebar import live_sidebar, render_sidebar
from components.state import get_store
from core.jobs import list_jobs
from store import StoreError
from store.queries import judging_job_count, run_counts
from store.records import Job

st.set_page_config(page_title="Pickwise", page_icon=":material/balance:", layout="wide")

PAGES = [
    st.Page("app_pages/home.py", title="Start", icon=":material/home:", default=True),
    st.Page("app_pages/models.py", title="Models", icon=":material/memory:", url_path="models"),
    st.Page("app_pages/benchmark.py", title="Benchmark", icon=":material/speed:", url_path="benchmark"),
    st.Page("app_pages/compare.py", title="Compare", icon=":material/compare_arrows:", url_path="compare"),
    st.Page("app_pages/grade.py", title="Grade", icon=":material/grading:", url_path="grade"),
    st.Page("app_pages/decide.py", title="Decide", icon=":material/gavel:", url_path="decide"),
]

navigation = st.navigation(PAGES)
try:
    store = get_store()
    render_sidebar(path=store.path, recovered=store.recovered, read_only=store.read_only)
    begin_live_view()
    navigation.run()

    def sidebar_now(running: list[Job]) -> None:
        """Counts read on every tick: the sidebar's sample count moves while a run stores samples."""
        live_sidebar(running, store.counts(), run_counts(store), judging_job_count(store))

    live_view(partial(list_jobs, store, active_only=True), sidebar_now)
except StoreError as exc:
    st.error(md("{error}", error=exc), icon=":material/error:")
