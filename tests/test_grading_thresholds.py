"""Labels decided by a threshold (kappa, alpha, control accuracy, position consistency, length bias): the
thresholds are pinned to their published values at the boundaries, and the figure a verdict shows never
contradicts the label it gives (issue 12, defect 8: kappa 0.5999 printed "0.60" and said "moderate")."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.grading.agreement import ALPHA_SCALE, KAPPA_SCALE, alpha_verdict, kappa_verdict
from core.grading.controls import ABOVE_CHANCE, qualification_verdict
from core.grading.pairwise_results import CONSISTENCY_SCALE
from core.grading.results import LENGTH_BIAS_SCALE
from core.grading.thresholds import Scale

# Landis & Koch (1977): 0.41-0.60 moderate, 0.61-0.80 substantial (the product's "good"), 0.21-0.40 fair
# and below ("poor"). A kappa of exactly 0.60 is moderate; anything above is substantial.
KAPPA_BOUNDARIES = [(0.61, "good"), (0.6001, "good"), (0.60, "moderate"), (0.5999, "moderate"),
                    (0.41, "moderate"), (0.4001, "moderate"), (0.40, "poor"), (0.3999, "poor"), (-0.2, "poor"),
                    (1.0, "good")]
# Krippendorff (2004, p. 241): rely on data with alpha >= .800; tentative conclusions for .667 <= alpha < .800.
ALPHA_BOUNDARIES = [(0.8, "reliable"), (0.7999, "tentative"), (0.667, "tentative"), (0.6669, "unreliable"),
                    (0.0, "unreliable"), (1.0, "reliable")]


@pytest.mark.parametrize(("kappa", "level"), KAPPA_BOUNDARIES)
def test_kappa_levels_are_the_landis_and_koch_bands(kappa: float, level: str) -> None:
    assert KAPPA_SCALE.label(kappa) == level
    assert kappa_verdict(kappa, n_items=20)[0] == level


@pytest.mark.parametrize(("alpha", "level"), ALPHA_BOUNDARIES)
def test_alpha_levels_are_krippendorffs_published_thresholds(alpha: float, level: str) -> None:
    assert ALPHA_SCALE.label(alpha) == level
    assert alpha_verdict(alpha, None, None, n_items=20)[0] == level


def test_the_issues_kappa_shows_enough_digits_to_agree_with_its_label() -> None:
    level, verdict = kappa_verdict(0.5999, n_items=20)
    assert level == "moderate"
    assert "(κ=0.5999, just below 0.60, n=20)" in verdict
    level, verdict = kappa_verdict(0.6001, n_items=20)
    assert level == "good" and "(κ=0.6001, just above 0.60, n=20)" in verdict
    assert "(κ=0.63, n=20)" in kappa_verdict(0.63, n_items=20)[1]  # far from a threshold: two digits


def test_alpha_near_two_thirds_and_a_judge_barely_above_chance() -> None:
    level, verdict = alpha_verdict(0.6666, 0.5, 0.8, n_items=20)
    assert level == "unreliable" and "α=0.6666, just below 0.667" in verdict
    verdict = qualification_verdict(0.6, 0.5004, 0.7, 30, qualified=True)
    assert "95% CI 50.04%, just above 50%–70%" not in verdict  # the interval reads as an interval
    assert "95% CI 50.04%–70% (lower bound just above 50%)" in verdict
    assert ABOVE_CHANCE.label(0.5) == "not above chance"  # qualified means ABOVE chance, not at it


def test_pairwise_consistency_and_length_bias_thresholds() -> None:
    assert [CONSISTENCY_SCALE.label(v) for v in (0.8, 0.7999, 0.5, 0.4999)] == [
        "consistent", "swayed", "swayed", "mostly flips"]
    assert CONSISTENCY_SCALE.reading(399 / 500).text == "79.8%, just below 80%"
    assert [LENGTH_BIAS_SCALE.label(v) for v in (0.5, 0.4999)] == ["rewards length", "no strong link"]
    assert LENGTH_BIAS_SCALE.reading(0.4999).text == "0.4999, just below 0.50"


def _shown_value(text: str, percent: bool) -> Decimal | None:
    """The number a reading shows (None for the "≈0.60, just below 0.60" fallback, which is no exact number)."""
    match = re.match(r"(-?\d+(?:\.\d+)?)(%?)(?:,|$)", text)
    if match is None:
        return None
    return Decimal(match.group(1)) / (100 if percent else 1)


SCALES = [KAPPA_SCALE, ALPHA_SCALE, ABOVE_CHANCE, CONSISTENCY_SCALE, LENGTH_BIAS_SCALE]
NEAR_THRESHOLDS = st.one_of(
    st.floats(-1, 1, allow_nan=False),
    st.builds(lambda t, d: t + d, st.sampled_from([0.4, 0.5, 0.6, 0.667, 0.8]),
              st.floats(-0.006, 0.006, allow_nan=False)),
)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(value=NEAR_THRESHOLDS, scale=st.sampled_from(SCALES))
def test_a_shown_figure_read_back_gets_the_same_label(value: float, scale: Scale) -> None:
    reading = scale.reading(value)
    assert reading.label == scale.label(value)
    shown = _shown_value(reading.text, scale.percent)
    if shown is None:
        assert reading.figure.startswith("≈") and reading.near is not None
        return
    assert scale.label(shown) == reading.label, reading.text
    assert all(shown != Decimal(repr(t)) or value == t for t, _ in scale.steps), reading.text  # no "0.60" for 0.5999
    assert abs(float(shown) - value) <= 0.5 * 10 ** -(scale.digits + (2 if scale.percent else 0)) + 1e-12
