"""Numbers that people type (CLI flags, form fields, spreadsheet cells), read one way everywhere.

Python's ``float`` accepts ``nan`` and ``inf`` and turns ``1e400`` into infinity; none of them is a
usable setting, score or limit, and NaN compares false with everything, so it slips through
``x < 1`` checks and gets stored. ``NumberRange.read`` is the one gate: it refuses non-finite,
non-numeric, non-whole (when whole numbers are wanted) and out-of-range values with a short reason
that callers prefix with where the value came from (an argparse flag, a form label, a CSV cell).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MAX_NUMBER_CHARS = 40  # no number a person types is longer; longer text is not parsed at all


@dataclass(frozen=True)
class NumberRange:
    """What a number must be: whole or not, and its bounds (``minimum`` excluded when ``above``)."""

    label: str
    whole: bool = False
    minimum: float | None = None
    maximum: float | None = None
    above: bool = False

    def describe(self) -> str:
        """The accepted values in words, e.g. ``a whole number from 1 to 1,000``."""
        noun = "a whole number" if self.whole else "a number"
        low, high = self.minimum, self.maximum
        if low is not None and not self.above and high is not None:
            return f"{noun} from {_fmt(low)} to {_fmt(high)}"
        parts = []
        if low is not None:
            parts.append(f"above {_fmt(low)}" if self.above else f"of at least {_fmt(low)}")
        if high is not None:
            parts.append(f"at most {_fmt(high)}")
        return " ".join([noun, " and ".join(parts)]).strip()

    def read(self, value: object) -> int | float:
        """``value`` (text or a number) as a finite number in range; ``ValueError`` with the bare reason.

        Whole numbers come back as ``int`` (``"4.0"`` from a spreadsheet is 4)."""
        expect = self.describe()
        if isinstance(value, str):
            text = value.strip()
            if len(text) > MAX_NUMBER_CHARS:
                raise ValueError(f"a {len(text):,}-character value is not a number; use {expect}")
            try:
                number: float | int = float(text)
            except ValueError:
                raise ValueError(f"{text!r} is not a number; use {expect}") from None
            shown, quoted = text, repr(text)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            number, shown = value, repr(value)
            quoted = shown
        else:
            raise ValueError(f"{value!r} is not a number; use {expect}")
        if isinstance(number, float) and not math.isfinite(number):
            raise ValueError(f"{quoted} is not a finite number; use {expect}")
        if not self._accepts(number):
            raise ValueError(f"{shown} is not {expect}")
        return int(number) if self.whole else number

    def check(self, value: object) -> int | float:
        """``read`` for a value that is already a setting: the reason is prefixed with the label."""
        try:
            return self.read(value)
        except ValueError as exc:
            raise ValueError(f"{self.label}: {exc}.") from None

    def _accepts(self, number: int | float) -> bool:
        if self.whole and number != int(number):
            return False
        if self.minimum is not None and (number <= self.minimum if self.above else number < self.minimum):
            return False
        return self.maximum is None or number <= self.maximum


def _fmt(bound: float) -> str:
    return f"{int(bound):,}" if float(bound).is_integer() else f"{bound:,}"
