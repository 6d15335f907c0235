"""Untrusted text (model output, model ids, server errors) made literal inside markdown.

Shared by the pages (Streamlit renders markdown) and the Markdown export, so both escape the same way.
"""

from __future__ import annotations

import re

_MD_SPECIALS = re.compile(r"([\\`*_\[\]<>|~&$])")  # emphasis, code, links, raw HTML, tables, entities, maths
_MD_LINE_MARKER = re.compile(r"^([-+=#]|\d+[.)](?=\s|$))")  # list, rule, setext and ATX heading starts


def md_escape(text: str) -> str:
    """Literal text in CommonMark/GFM: markup characters backslash-escaped, a leading list, rule or heading
    marker neutralised, whitespace runs (newlines, indentation that would start a code block) collapsed.
    Brackets are escaped, so ``[x](url)`` can never become a link."""
    escaped = _MD_SPECIALS.sub(r"\\\1", " ".join(str(text).split()))
    return _MD_LINE_MARKER.sub(lambda m: m.group(1)[:-1] + "\\" + m.group(1)[-1], escaped)
