"""The shared sidebar: where the data lives, what it holds, and what is running now."""

from __future__ import annotations

import streamlit as st

from components.state import get_store
from core.jobs import list_jobs


def render_sidebar() -> None:
    store = get_store()
    with st.sidebar:
        if store.recovered is not None:
            st.error(str(store.recovered), icon=":material/warning:")
        if store.read_only is not None:
            st.warning(f"You can look at what is stored, but nothing new can be saved. {store.read_only}",
                       icon=":material/lock:")
        st.caption(f"Store: `{store.path}`")
        counts = store.counts()
        st.caption(
            f"{counts.get('runs', 0)} runs · {counts.get('samples', 0)} samples · "
            f"{counts.get('endpoints', 0)} endpoints"
        )
        running = list_jobs(store, active_only=True)
        for job in running:
            progress = job.get("progress") or {}
            total = progress.get("total")
            share = min(1.0, progress.get("done", 0) / total) if total else 0.0
            st.progress(share, text=f"{job.get('label') or job['kind']}: {job.get('message', '')}")
