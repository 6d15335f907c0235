"""The shared sidebar: where the data lives, what it holds, and what is running now."""

from __future__ import annotations

import streamlit as st

from components.safe_text import md
from components.state import get_store
from core.jobs import list_jobs


def render_sidebar() -> None:
    store = get_store()
    with st.sidebar:
        if store.recovered is not None:
            st.error(md("{notice}", notice=store.recovered), icon=":material/warning:")
        if store.read_only is not None:
            st.warning(md("You can look at what is stored, but nothing new can be saved. {why}", why=store.read_only),
                       icon=":material/lock:")
        st.caption(md("Store: {path:code}", path=store.path))
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
            st.progress(share, text=md("{label}: {message}", label=job.get("label") or job["kind"],
                                        message=job.get("message", "")))
