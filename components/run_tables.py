"""One benchmark run as the Benchmark page shows it: key figures first, then load, memory, disk and device,
then everything else behind expanders.

Why this order: the per-model table once put tokens/s off-screen to the right and repeated "p95 rests on
only 18 samples…" in every row. Now the key figures (model, status, n, TTFT, latency, tokens/s, each with
its interval) come first with one small-sample notice for the table; every missing figure says why
(``core.benchmark.empty_cells``); the settings read as a two-column table, with the JSON as a download.
"""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from components.safe_text import md
from core.benchmark.empty_cells import REMOTE_NOTICE
from core.benchmark.run_summary import (
    GPU_COLUMNS,
    KEY_COLUMNS,
    NO_TARGETS,
    RESOURCE_COLUMNS,
    gpu_lines,
    metric_details_frame,
    run_summary_frame,
    settings_frame,
    small_sample_notice,
    targets_lines,
)
from core.refs import is_remote
from store.records import Run


def _model_column(frame: pd.DataFrame) -> dict:
    """The model column as wide as its longest reference, and pinned (it stays in view while a narrow screen
    scrolls the figures): left to itself the grid cut ``foundry-local:qwen2.5-…`` to ``foundry-local:qw``."""
    longest = max((len(ref) for ref in frame["model"]), default=10)
    return {"model": st.column_config.TextColumn("model", width=6 * longest + 16, pinned=True)}


def key_table(frame: pd.DataFrame) -> None:
    """The key figures of ``frame`` (``run_summary_frame``), model first (goodput only when the run had targets);
    the one small-sample notice under them."""
    targets = not frame.empty and (frame["goodput"] != NO_TARGETS).any()
    st.dataframe(frame[["model", *(c for c in KEY_COLUMNS if targets or c != "goodput")]], hide_index=True,
                 column_config=_model_column(frame))
    if notice := small_sample_notice(frame):
        st.caption(notice)


def run_tables(run: Run, samples: list[dict]) -> None:
    """``run`` with its ``samples``: key figures, targets and GPU sentences, resources, then the rest tucked away."""
    frame = run_summary_frame(run, samples)
    key_table(frame)
    for line in [*targets_lines(run), *gpu_lines(run)]:
        st.caption(md("{line}", line=line))
    st.markdown("**Load, memory, disk and device**")
    gpu = GPU_COLUMNS if any(info.gpu_load_mb is not None for info in run.models.values()) else []
    st.dataframe(frame[["model", *RESOURCE_COLUMNS, *gpu]], hide_index=True, column_config=_model_column(frame))
    if any(is_remote(ref) for ref in frame["model"]):
        st.caption(REMOTE_NOTICE)
    with st.expander("All statistics (percentiles, spread, confidence intervals, targets)"):
        st.dataframe(frame, hide_index=True, column_config=_model_column(frame))
        st.dataframe(metric_details_frame(run, samples), hide_index=True, column_config=_model_column(frame))
    with st.expander("Settings and environment of this run"):
        st.dataframe(settings_frame(run), hide_index=True, width="stretch")
        document = json.dumps({"settings": run.settings, "environment": run.environment}, indent=2)
        st.download_button("Download as JSON", document, file_name=f"run-{run.run_id}-settings.json",
                           mime="application/json", key=f"bench-settings-json-{run.run_id}")
