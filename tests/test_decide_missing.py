"""Missing and unusable figures in Decide (issue 12, defects 7 and 8): NaN and inf count as unknown, the
missing-data rule is the product owner's choice, and no sentence contradicts the ranking table."""

from __future__ import annotations

import math

import pytest

from core.decide.candidates import CandidateTable
from core.decide.constraints import constraint_reasons
from core.decide.ranking import rank
from core.decide.settings import Constraints
from core.decide.usable import usable
from tests.test_selection import cand, settings


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, "12", None, True])
def test_a_non_finite_or_non_numeric_value_is_not_a_usable_number(bad):
    assert usable(bad) is None


def test_a_finite_number_is_usable():
    assert usable(3) == 3.0 and usable(0.0) == 0.0


@pytest.mark.parametrize("field,limit,name", [("disk_mb", "max_disk_mb", "disk footprint"),
                                              ("memory_mb", "max_memory_mb", "memory"),
                                              ("latency_p95_s", "max_p95_latency_s", "p95 latency")])
@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_a_nan_or_inf_figure_fails_a_limit_as_unknown(field, limit, name, bad):
    from dataclasses import replace
    model = replace(cand("odd:model"), **{field: bad})
    reasons = constraint_reasons(model, Constraints(**{limit: 1000.0}))
    assert len(reasons) == 1 and reasons[0].startswith(f"{name} is unknown"), reasons
    assert constraint_reasons(model, Constraints(**{limit: 1000.0}, unknown_passes=True)) == ()


def test_a_nan_disk_size_does_not_pass_a_1000_mb_limit_in_the_ranking():
    table = CandidateTable((cand("nan:disk", disk=math.nan), cand("ok:disk", disk=500.0)))
    ranking = rank(table, settings({"latency": 1}, constraints=Constraints(max_disk_mb=1000)))
    assert [m.ref for m in ranking.ranked] == ["ok:disk"]
    assert [e.ref for e in ranking.excluded] == ["nan:disk"]
