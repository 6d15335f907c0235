"""Runs from another machine: download a bundle of the selected runs, upload bundles measured elsewhere.

``core.bundles`` is the only place that reads or writes a bundle; the page hands this component what to do
with bytes (``export``, ``import_bundle``), so the component never opens the store. Each uploaded file gets
ONE sentence (runs imported, already here, or refused with ``core.bundles``' reason, never a traceback),
kept in the session by the upload's id, so a rerun neither imports a file again nor loses what it said.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from components.safe_text import md_literal
from core.bundles import BundleError, ImportReport

BUNDLE_FILE = "pickwise-runs.bundle.json"


@dataclass(frozen=True)
class Outcome:
    """What one uploaded file did: its sentence, whether it was refused, and the runs it added."""

    sentence: str
    refused: bool
    added: tuple[str, ...] = ()


def import_outcome(import_bundle: Callable[[bytes, str], ImportReport], data: bytes, name: str) -> Outcome:
    """One file imported, as its sentence: what it added, or why ``core.bundles`` refused it."""
    try:
        report = import_bundle(data, name)
    except BundleError as exc:
        return Outcome(str(exc), True)
    return Outcome(report.sentence(name) + ".", False, tuple(report.added))


def upload_bundles(import_bundle: Callable[[bytes, str], ImportReport], *, key: str) -> list[str]:
    """The uploader: each new file imported once, one sentence per file; returns the run ids just added."""
    files = st.file_uploader(
        "Import run bundles", type=["json"], accept_multiple_files=True, key=key,
        help="Bundles exported on another machine (here, or with python cli.py runs export). Runs already in "
             "this store are skipped, never overwritten; each keeps the machine that measured it.")
    seen: dict[str, Outcome] = st.session_state.setdefault(f"{key}-outcomes", {})
    added: list[str] = []
    for upload in files or []:
        if upload.file_id not in seen:
            seen[upload.file_id] = import_outcome(import_bundle, upload.getvalue(), upload.name)
            added += seen[upload.file_id].added
    for upload in files or []:
        outcome = seen[upload.file_id]
        if outcome.refused:
            st.error(md_literal(outcome.sentence), icon=":material/block:")
        else:
            st.success(md_literal(outcome.sentence), icon=":material/download_done:")
    return added


def download_bundle(run_ids: list[str], export: Callable[[list[str], str], bytes], *, key: str) -> None:
    """A label for this machine and a download of the selected finished runs as one bundle (built on click)."""
    if not run_ids:
        st.caption("Select finished runs above to export them as a bundle.")
        return
    label = st.text_input("This machine's name", key=f"{key}-label", placeholder="the hostname",
                          help="How Compare names this machine once the bundle is imported elsewhere (e.g. laptop "
                               "or gpu-box). Runs that came from another machine keep their own name.")
    st.download_button(f"Download a bundle of the {len(run_ids)} selected run(s)", lambda: export(run_ids, label),
                       file_name=BUNDLE_FILE, mime="application/json", key=f"{key}-download",
                       icon=":material/download:", on_click="ignore")
