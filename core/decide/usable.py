"""One rule for "is this a number Decide can use": a finite int or float; anything else is unknown.

A NaN or an infinity that slipped into a stored figure (a meter that failed, a division by zero) must not
pass a limit because ``nan > 1000`` is False, nor rank on a value nobody measured: every reader of a figure
in Decide (constraints, ranking, the noise resampling) goes through ``usable``, so such a value is
treated exactly like a missing one.
"""

from __future__ import annotations

import math
import numbers
from typing import Any


def usable(value: Any) -> float | None:
    """``value`` as a float when it is a finite real number (numpy's too; bools are not numbers here), else
    ``None``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    return float(value) if math.isfinite(value) else None
