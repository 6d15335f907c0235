"""Tables as plain text for the terminal: a figure that is missing reads "n/a", never ``None`` or ``NaN``.

pandas prints a missing number as ``NaN`` and Python prints ``None``; neither means anything to a product
owner, and an empty cell looks like a column shifted. Every table ``cli.py`` prints goes through
``table_text`` (a single cell through ``cell_text``), so the rule is kept in one place.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

MISSING = "n/a"


def cell_text(value: object) -> str:
    """``value`` as a cell: ``"n/a"`` for None, NaN, infinities and empty text, else ``str(value)``
    (floats with at most four decimals, so 0.1 + 0.2 does not print as 0.30000000000000004)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return MISSING
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    text = str(value)
    return text if text.strip() else MISSING


def table_text(frame: pd.DataFrame, *, free_text: Iterable[str] = ("notes",)) -> str:
    """``frame`` as aligned text without its index; ``free_text`` columns (remarks) may stay empty, every
    other missing cell reads ``"n/a"``."""
    if frame.empty:
        return "(nothing to show)"
    free = set(free_text)
    shown = pd.DataFrame({column: [_remark(v) if column in free else cell_text(v) for v in frame[column].tolist()]
                          for column in frame.columns})
    return shown.to_string(index=False)


def _remark(value: object) -> str:
    return "" if cell_text(value) == MISSING else str(value)
