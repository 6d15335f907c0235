"""Missing and unusable figures in Decide (issue 12, defects 7 and 8): NaN and inf count as unknown, the
missing-data rule is the product owner's choice, and no sentence contradicts the ranking table."""

from __future__ import annotations

import math
import re

import pytest

from core.decide.candidates import CandidateTable
from core.decide.constraints import constraint_reasons
from core.decide.decision import build_decision
from core.decide.ranking import rank, ranking_frame
from core.decide.report import to_csv, to_markdown
from core.decide.settings import Constraints, SelectionSettings, default_criteria
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


# ------------------------------------------------------------------ the rule for missing figures (defect 7)

ENDPOINT_CASE = CandidateTable((
    cand("foundry-local:phi", latency=2.0, tps=10, quality=3.0, memory=1000, disk=500, license="mit"),
    cand("ollama:llama", latency=1.0, tps=30, quality=4.5, memory=None, disk=None, license="mit"),
))
HAND = {"ollama:llama": {"memory": 8000.0, "footprint": 4700.0}}


def _settings(rule: str, **kw) -> SelectionSettings:
    return SelectionSettings(criteria=default_criteria(), missing_data=rule, **kw)


def _decided(rule: str, **kw) -> dict:
    return build_decision(ENDPOINT_CASE, _settings(rule, **kw), title="Endpoint or local", draws=300)


@pytest.mark.parametrize("rule,entered", [("drop", {}), ("exclude", {}), ("fill", HAND), ("fill", {})])
def test_no_sentence_contradicts_the_ranking_table(rule, entered):
    """The issue's case: a Foundry Local model against an endpoint model, which has no memory or disk figure.
    Whatever the rule: the named winner is rank 1, ranks follow the scores, no lead is negative, every
    flip the tornado names really happens, and no threshold reads "above 100.0%" or "below 0.0%"."""
    record = _decided(rule, entered=entered)
    ranked = record["ranked"]
    assert [m["rank"] for m in ranked] == list(range(1, len(ranked) + 1))
    assert [m["score"] for m in ranked] == sorted((m["score"] for m in ranked), reverse=True)
    assert record["top_ranked"] == ranked[0]["ref"] == record["chosen"]
    text = to_markdown(record)
    assert "above 100.0%" not in text and "below 0.0%" not in text
    assert not re.search(r"-\d[\d.]* points ahead|leads \S+ by -", text)
    why = text.split("**Why:**")[1].split("\n")[0]
    assert why.lstrip().startswith((ranked[0]["ref"], "Statistical tie between " + ranked[0]["ref"]))
    for flip in record["sensitivity"]["flips"]:
        for share, winner in ((flip["lower"], flip["lower_winner"]), (flip["upper"], flip["upper_winner"])):
            if share is None:
                continue
            assert 0.0005 <= share <= 0.9995
            nudge = 1e-4 if share > flip["weight"] else -1e-4
            weights = {k: v * (1 - share - nudge) / (1 - flip["weight"]) for k, v in record["weights_applied"].items()}
            weights[flip["criterion"]] = share + nudge
            moved = SelectionSettings(criteria=default_criteria(weights), missing_data=rule, entered=entered)
            assert rank(ENDPOINT_CASE, moved).winner == winner
    probabilities = record["sensitivity"]["probabilities"]
    assert set(probabilities) == {m["ref"] for m in ranked}


def test_the_three_rules_rank_the_endpoint_case_as_the_product_owner_chose():
    dropped = rank(ENDPOINT_CASE, _settings("drop"))
    assert set(dropped.dropped) == {"memory", "footprint"} and len(dropped.ranked) == 2
    assert "ollama:llama" in dropped.dropped["memory"]
    left_out = rank(ENDPOINT_CASE, _settings("exclude"))
    assert [m.ref for m in left_out.ranked] == ["foundry-local:phi"]
    assert left_out.excluded[0].reasons == ("no memory figure (your rule for missing data: leave such a model out)",
                                            "no disk footprint figure (your rule for missing data: leave such a "
                                            "model out)")
    unfilled = rank(ENDPOINT_CASE, _settings("fill"))
    assert unfilled.excluded[0].reasons[0] == "no memory figure: enter one by hand, or choose another rule for " \
                                              "missing data"
    filled = rank(ENDPOINT_CASE, _settings("fill", entered=HAND))
    by = {m.ref: m for m in filled.ranked}
    assert by["ollama:llama"].values["memory"] == 8000.0 and by["ollama:llama"].entered == ("memory", "footprint")
    assert not filled.dropped and not filled.excluded
    frame = ranking_frame(filled).set_index("model")
    assert frame.loc["ollama:llama", "memory n, 95% CI"] == "entered by hand"
    assert frame.loc["foundry-local:phi", "memory n, 95% CI"] == "no interval"  # a single reading


def test_entered_values_are_marked_in_the_record_and_checked_against_limits():
    record = _decided("fill", entered=HAND)
    assert "8,000 MB (entered by hand)" in to_markdown(record)
    assert record["settings"]["missing_data"] == "fill" and record["settings"]["entered"] == HAND
    assert "entered by hand" in to_csv(record)
    limited = rank(ENDPOINT_CASE, _settings("fill", entered=HAND, constraints=Constraints(max_memory_mb=4096)))
    assert [e.ref for e in limited.excluded] == ["ollama:llama"]
    assert "memory 8,000 MB exceeds the 4,096 MB limit" in limited.excluded[0].reasons
    assert rank(ENDPOINT_CASE, _settings("drop", entered=HAND)).ranked[0].entered == ()  # only the fill rule


@pytest.mark.parametrize("entered,error", [({"m": {"quality": 4.0}}, "Only memory and footprint"),
                                           ({"m": {"memory": math.nan}}, "non-negative number"),
                                           ({"m": {"memory": -1.0}}, "non-negative number")])
def test_bad_entered_values_are_refused_in_one_sentence(entered, error):
    with pytest.raises(ValueError, match=error):
        _settings("fill", entered=entered)
    with pytest.raises(ValueError, match="rule for missing data"):
        _settings("guess")


def test_a_flip_only_at_0_or_100_percent_holds_at_any_weight():
    # equal latency: with all the weight on latency the two tie and the tie goes by reference
    table = CandidateTable((cand("b:y", latency=1.0, quality=4.0), cand("a:x", latency=1.0, quality=3.0)))
    record = build_decision(table, SelectionSettings(criteria=default_criteria({"latency": 50, "quality": 50})),
                            title="t", draws=100)
    latency = next(f for f in record["sensitivity"]["flips"] if f["criterion"] == "latency")
    assert latency["upper"] is None and "holds at any weight" in to_markdown(record)
