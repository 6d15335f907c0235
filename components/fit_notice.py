"""Will it fit: before a run starts, a warning with the numbers for each model that may not fit in memory
(``core.models.fit``). It never blocks: the product owner can start the run anyway."""

from __future__ import annotations

import streamlit as st

from components.safe_text import md


def fit_notice(warnings: list[str]) -> None:
    """Draw ``warnings`` (one sentence each; the model ids in them are untrusted text), folded under one line
    when several models are listed."""
    if not warnings:
        return
    with st.expander(f"Will it fit? {len(warnings)} listed model(s) may not fit in the free memory", expanded=True):
        for warning in warnings:
            st.warning(md("{warning}", warning=warning), icon=":material/memory:")
