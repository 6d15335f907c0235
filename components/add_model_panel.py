"""Bring your own model on the Models page: a folder or GGUF path (and an optional name), checked at once,
then added by a background job (conversion with progress and Cancel); and removing a model added that way.

It takes callbacks, never the store: ``plan(path, name)`` checks and returns what will be added (raising an
``EngineError`` with one sentence), ``start(plan)`` starts the job, ``remove(name)`` returns a sentence."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from components.job_progress import job_panel
from components.safe_text import md
from core.engines.base import EngineError
from store.records import Job


def add_model_panel(latest: Job | None, plan: Callable[[str, str | None], Any], start: Callable[[Any], str],
                    remove: Callable[[str], str]) -> None:
    """``latest`` is the newest add-model job (its progress while it runs, its outcome after)."""
    st.subheader("Bring your own model")
    st.caption("An ONNX Runtime GenAI folder is registered as it is. A Hugging Face folder (config.json, weights, "
               "tokenizer) or a GGUF file is converted to an int4 CPU ONNX model first, in the background, the "
               "way the default model is (minutes for a small model; the free disk is checked first).")
    if latest is not None:
        job_panel(latest, key="add-model")
    running = latest is not None and latest.state == "running"
    with st.form("add-model", clear_on_submit=False):
        path = st.text_input("Model folder or .gguf file", placeholder="/models/phi-3-mini-gguf/model.gguf",
                             key="add-model-path")
        name = st.text_input("Name (optional)", placeholder="my-model:1", key="add-model-name")
        if st.form_submit_button("Add model", disabled=running):
            try:
                start(plan(path.strip(), name.strip() or None))
            except EngineError as exc:
                st.error(md("{error}", error=exc))
            else:
                st.rerun()
    with st.expander("Remove a model added this way"):
        gone = st.text_input("Model id", placeholder="my-model:1", key="remove-model-name")
        if st.button("Remove model", disabled=not gone.strip()):
            try:
                st.success(md("{message}", message=remove(gone.strip())))
            except EngineError as exc:
                st.error(md("{error}", error=exc))
