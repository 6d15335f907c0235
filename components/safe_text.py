"""Untrusted text on the page: shown verbatim, never interpreted as HTML or markdown.

Streamlit reads markdown in every message box, caption, expander and tab label, widget label, radio caption,
progress and toast text. Model ids, endpoint names and errors (``str(exc)`` from an engine or server), rubric
text and anything a person typed are untrusted, so a page writes such strings with ``md(template, **values)``:
the template is the page's own markdown, every value is made literal. Writing ``md(...)`` for every message
that carries a value keeps the rule visible in review: an f-string inside ``st.warning`` is the bug.
"""

from __future__ import annotations

import string
from typing import Any

import streamlit as st

from core.untrusted_text import md_code, md_inert

CODE = "code"  # ``{value:code}`` in an ``md`` template: the value as a literal inline code span


class _LiteralFormatter(string.Formatter):
    """``str.format`` whose every replacement field comes out literal (after its format spec is applied)."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec == CODE:
            return md_code(value)
        return md_inert(format(value, format_spec))


_FORMATTER = _LiteralFormatter()


def md(template: str, /, **values: Any) -> str:
    """``template`` (trusted markdown, e.g. ``"**{source}**: {error}"``) with every ``{field}`` replaced by its
    value as literal text: no link, image, emphasis, HTML or automatic link can come out of a value."""
    return _FORMATTER.format(template, **values)


def md_literal(text: object) -> str:
    """One untrusted value as literal markdown (``md("{text}", text=text)``)."""
    return md_inert(text)


def show_model_text(text: str | None, *, empty: str = "(no text)") -> None:
    """Render model output as plain preformatted text (``st.code`` escapes everything)."""
    st.code(text if text else empty, language=None, wrap_lines=True)
