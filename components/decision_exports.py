"""Earlier decisions, their status, and their exports (Markdown, JSON, CSV, HTML, PDF)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import streamlit as st

from components.safe_text import md
from core.decide import report
from core.decide.decision import NO_MODEL_QUALIFIES, STATUSES
from store.records import Decision

FORMATS = (
    ("Markdown", "md", "text/markdown", report.to_markdown),
    ("JSON", "json", "application/json", report.to_json),
    ("CSV", "csv", "text/csv", report.to_csv),
    ("HTML", "html", "text/html", report.to_html),
)


def _pdf(record: dict) -> bytes:
    return report.to_pdf(record)


def decisions_panel(decisions: list[Decision], set_status: Callable[[str, str], object]) -> None:
    """The decision log (newest first, as ``core.decide.decision.list_decisions`` gives it); the chosen one can
    change status (``set_status(decision_id, status)``, which may refuse with ``ValueError``) and be exported."""
    st.subheader("Decisions")
    if not decisions:
        st.caption("No decision recorded yet.")
        return
    by_id = {d.decision_id: d for d in decisions}
    shown = st.session_state.get("decision-shown")
    pick = st.selectbox("Decision", list(by_id), index=list(by_id).index(shown) if shown in by_id else 0,
                        key="decision-pick",
                        format_func=lambda i: f"{by_id[i].decided_on} · {by_id[i].title} · "
                                              f"{by_id[i].chosen or NO_MODEL_QUALIFIES} "
                                              f"({by_id[i].status})")
    decision = by_id[pick]
    record = decision.as_dict()  # the exports take the stored document as it is
    c1, c2 = st.columns([3, 1])
    new_status = c1.selectbox("Status", STATUSES, index=STATUSES.index(decision.status), key=f"status-{pick}")
    if new_status != decision.status and c2.button("Update status", key=f"status-save-{pick}"):
        try:
            set_status(pick, new_status)
        except ValueError as exc:
            st.error(md("{error}", error=exc))
        else:
            st.rerun()
    cols = st.columns(len(FORMATS) + 1)
    stem = f"decision-{pick}"
    for col, (label, ext, mime, render) in zip(cols, FORMATS, strict=False):
        col.download_button(label, data=partial(render, record), file_name=f"{stem}.{ext}", mime=mime,
                            key=f"export-{ext}-{pick}", on_click="ignore")
    cols[-1].download_button("PDF", data=partial(_pdf, record), file_name=f"{stem}.pdf", mime="application/pdf",
                             key=f"export-pdf-{pick}", on_click="ignore")
