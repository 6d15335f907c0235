"""A figure labelled by the thresholds it clears, shown so that the figure and its label never contradict.

Verdicts in words rest on thresholds (kappa above 0.60 is "good", alpha from 0.667 is "tentative", a
judge is qualified when its interval's lower bound is above 50%). Printed at two digits, a kappa of
0.5999 reads "0.60" next to "moderate", and a reader who knows the scale sees a contradiction. So the
label is decided on the exact value, and the figure is shown with as many more digits as it takes for
the shown number to fall on the same side of every threshold, and not onto one it only rounds to,
saying which threshold it is near: "0.5999, just below 0.60". Far from a threshold the figure keeps its
usual digits. (The other way, labelling the rounded figure, would move every threshold by half a unit of
the last digit.)

Every threshold label in grading goes through one ``Scale``: ``core.grading.agreement`` (kappa,
alpha), ``core.grading.controls`` (qualification), ``core.grading.pairwise_results`` (position
consistency) and ``core.grading.results`` (length bias).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

MAX_EXTRA_DIGITS = 4  # beyond that the figure is within 5e-7 of the threshold: "≈0.60, just below 0.60"


@dataclass(frozen=True)
class Reading:
    """A figure's label, the figure as shown (``"0.63"``, ``"0.5999"``) and, when it sits so close to a
    threshold that its usual digits would read as another label, which side it is on (``"just below 0.60"``)."""

    label: str
    figure: str
    near: str | None = None

    @property
    def text(self) -> str:
        return f"{self.figure}, {self.near}" if self.near else self.figure


@dataclass(frozen=True)
class Scale:
    """Labels for a figure: the label of the highest threshold it clears, else ``below``.

    ``strict``: a threshold is cleared by exceeding it (Landis & Koch's "0.61-0.80", a lower bound "above
    chance"), else by reaching it (Krippendorff's "alpha >= .800"). ``digits`` are the usual decimals,
    of the percentage when ``percent``."""

    steps: tuple[tuple[float, str], ...]  # (threshold, label), highest threshold first
    below: str
    strict: bool = False
    digits: int = 2
    percent: bool = False

    def _clears(self, value: float | Decimal, threshold: float) -> bool:
        limit = Decimal(repr(threshold)) if isinstance(value, Decimal) else threshold  # exact for shown figures
        return value > limit or (not self.strict and value == limit)

    def label(self, value: float | Decimal) -> str:
        """The label of ``value`` (a shown figure may be passed as the ``Decimal`` it reads as)."""
        return next((name for threshold, name in self.steps if self._clears(value, threshold)), self.below)

    def format(self, value: float, digits: int | None = None) -> str:
        digits = self.digits if digits is None else digits
        return f"{value:.{digits}%}" if self.percent else f"{value:.{digits}f}"

    def _shown(self, text: str) -> Decimal:
        return Decimal(text[:-1]) / 100 if self.percent else Decimal(text)

    def _threshold_text(self, threshold: float) -> str:
        """A threshold with its own digits, never fewer than the scale's (0.60, 0.667, 50%)."""
        exact = Decimal(repr(threshold)) * (100 if self.percent else 1)
        exponent = exact.normalize().as_tuple().exponent
        return self.format(threshold, max(self.digits, -int(exponent)))

    def _nearest(self, value: float) -> tuple[float, str]:
        """The threshold nearest ``value`` and which side of it ``value`` is on."""
        threshold = min((t for t, _ in self.steps), key=lambda t: abs(t - value))
        return threshold, "above" if self._clears(value, threshold) else "below"

    def _reads_as(self, shown: Decimal, value: float, label: str) -> bool:
        """Whether a reader of ``shown`` would give it ``label``: on the same side of every threshold, and not
        on one unless ``value`` is exactly there (a rounded "0.60" next to a 0.60 threshold says neither side)."""
        on_a_threshold = any(shown == Decimal(repr(t)) and value != t for t, _ in self.steps)
        return self.label(shown) == label and not on_a_threshold

    def reading(self, value: float) -> Reading:
        """``value``'s label and text: its usual digits, or more where those would read as another label."""
        label = self.label(value)
        threshold, side = self._nearest(value)
        near = f"just {side} {self._threshold_text(threshold)}"
        for extra in range(MAX_EXTRA_DIGITS + 1):
            figure = self.format(value, self.digits + extra)
            if self._reads_as(self._shown(figure), value, label):
                return Reading(label, figure, near if extra else None)
        return Reading(label, f"≈{self.format(value)}", near)  # within 5e-7 of it: the side is what matters
