"""Model output is untrusted text: it is shown verbatim, never interpreted as HTML or markdown."""

from __future__ import annotations

import streamlit as st

from core.markdown_text import md_escape


def show_model_text(text: str | None, *, empty: str = "(no text)") -> None:
    """Render model output as plain preformatted text (``st.code`` escapes everything)."""
    st.code(text if text else empty, language=None, wrap_lines=True)


def md_literal(text: object) -> str:
    """``text`` (a model id, an endpoint's model name, an error from a server) made safe to embed in markdown:
    no link, emphasis or HTML can come out of it."""
    return md_escape(str(text))
