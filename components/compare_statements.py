"""The Compare page's comparisons in words (``core.compare.statements``), shown as a list.

Sentences carry model ids and run ids, which are untrusted: each goes through ``components.safe_text.md``
so nothing in an id becomes a link, emphasis or HTML.
"""

from __future__ import annotations

from collections.abc import Iterable

import streamlit as st

from components.safe_text import md


def statement_list(sentences: Iterable[str]) -> str:
    """Sentences as a markdown bullet list, every sentence literal text."""
    return "\n".join(md("- {sentence}", sentence=sentence) for sentence in sentences)


def show_statements(sentences: list[str], *, empty: str, first: int | None = None) -> None:
    """The sentences as a list, or ``empty`` (the page's own words) when there is none; with ``first``, only that
    many, and the rest in an expander (eight models make 28 pairs, three sentences each: a wall of text)."""
    if not sentences:
        st.markdown(empty)
        return
    st.markdown(statement_list(sentences[:first]))
    rest = sentences[first:] if first is not None else []
    if rest:
        with st.expander(f"{len(rest)} more comparisons", icon=":material/format_list_bulleted:"):
            st.markdown(statement_list(rest))
