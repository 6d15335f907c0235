"""Untrusted text (model ids, endpoint names and errors, rubric text, model output, decision fields) made
literal at the one place where it becomes markup: Streamlit markdown, plotly labels, HTML/Markdown exports
and spreadsheet cells.

Every escaper here first makes invisible formatting characters visible (``reveal_invisible``): a right-to-left
override in a model id would otherwise reorder the text around it, and a zero-width character would make two
different ids look the same. They are shown as ``<U+202E>`` rather than removed, so nothing is lost and two
different strings never collapse into one; the JSON export keeps them as ``\\u202e`` escapes instead, which
is just as visible in any editor and reads back to the exact original.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

# Bidi embeddings/overrides/isolates and marks, zero-width spaces and joiners, word joiner and invisible
# operators, BOM, Mongolian vowel separator, soft hyphen, and the invisible "tag" block used to smuggle text.
_INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\U000e0000-\U000e007f]")

_MD_SPECIALS = re.compile(r"([\\`*_\[\]<>|~&$])")  # emphasis, code, links, raw HTML, tables, entities, maths
_MD_LINE_MARKER = re.compile(r"^([-+=#]|\d+[.)](?=\s|$))")  # list, rule, setext and ATX heading starts
# GFM turns bare URLs, ``www.`` names and e-mail addresses in plain text into links, escaped or not:
# a word joiner (invisible, never a line break) after the scheme or ``www`` and before ``@`` stops it.
_AUTOLINK = re.compile(r"(?i)(?<=\bhttps:)(?=//)|(?<=\bhttp:)(?=//)|(?<=\bwww)(?=\.)|(?=@)")
_WORD_JOINER = "\u2060"

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may evaluate (OWASP CSV injection)


def reveal_invisible(text: str) -> str:
    """``text`` with every invisible formatting character written out as ``<U+XXXX>``."""
    return _INVISIBLE.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)


def md_escape(text: object) -> str:
    """Literal text in CommonMark/GFM: markup characters backslash-escaped, a leading list, rule or heading
    marker neutralised, whitespace runs (newlines, indentation that would start a code block) collapsed.
    Brackets are escaped, so ``[x](url)`` can never become a link nor ``![x](url)`` an image fetch."""
    escaped = _MD_SPECIALS.sub(r"\\\1", " ".join(reveal_invisible(str(text)).split()))
    return _MD_LINE_MARKER.sub(lambda m: m.group(1)[:-1] + "\\" + m.group(1)[-1], escaped)


def md_inert(text: object) -> str:
    """``md_escape`` plus no automatic links: for a renderer with GFM's autolink literals (Streamlit), where
    a bare ``https://…`` from a server's error body would otherwise still become a live link."""
    return _AUTOLINK.sub(_WORD_JOINER, md_escape(text))


def md_code(text: object) -> str:
    """``text`` as an inline code span: shown monospaced and fully literal (no escapes are read inside one),
    fenced with more backticks than any run inside it."""
    flat = " ".join(reveal_invisible(str(text)).split())
    fence = "`" * (max((len(run) for run in re.findall(r"`+", flat)), default=0) + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def plotly_escape(text: object) -> str:
    """Literal text for any plotly string (trace names, legends, tick labels, text, hover templates, titles):
    plotly renders ``<b>``, ``<a href>`` and ``<br>`` as markup and decodes entities, so ``&``, ``<`` and ``>``
    become entities; ``%`` becomes ``&#37;`` so no ``%{...}`` in a hover template is filled in."""
    text = html.escape(reveal_invisible(str(text)), quote=False)
    return text.replace("%", "&#37;")


def html_escape(text: object) -> str:
    """Literal text inside HTML or SVG (element content and quoted attributes)."""
    return html.escape(reveal_invisible(str(text)))


def neutralise_formula(text: str | None) -> str:
    """A cell value a spreadsheet shows as text and never evaluates: invisible characters revealed first
    (so one cannot hide a leading ``=``), then a leading apostrophe before anything a formula starts with."""
    text = reveal_invisible(text or "")
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_cell(value: Any) -> Any:
    """One CSV cell: numbers stay numbers (a negative number is not a formula), ``None`` is empty, booleans
    are yes/no, and text goes through ``neutralise_formula``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    return neutralise_formula(str(value))


def json_text(text: str) -> str:
    """JSON text with every invisible character as its ``\\uXXXX`` escape: valid JSON (these characters can
    only occur inside strings), visible in an editor, and it reads back to exactly the same values."""
    return _INVISIBLE.sub(lambda m: json.dumps(m.group())[1:-1], text)
