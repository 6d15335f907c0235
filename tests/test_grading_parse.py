"""The parse ladder on replies shaped like what real (small, local) judges write."""

from __future__ import annotations

import pytest

from core.grading.parse import parse_reply
from core.grading.presets import HELPFULNESS, SUMMARY_FAITHFULNESS

ONE = HELPFULNESS.criteria
TWO = SUMMARY_FAITHFULNESS.criteria  # faithfulness, coverage

SCORED = [
    # (reply, criteria, expected scores, method)
    ('{"rationale": "Answers the question directly.", "scores": {"helpfulness": 4}}', ONE, {"helpfulness": 4}, "json"),
    ('Sure! Here is my evaluation:\n{"rationale": "Clear and complete.", "scores": {"helpfulness": 5}}\n'
     "Let me know if you need anything else.", ONE, {"helpfulness": 5}, "json"),
    ('```json\n{\n  "rationale": "Misses the second part.",\n  "scores": {"helpfulness": 3}\n}\n```', ONE,
     {"helpfulness": 3}, "json"),
    ('{"score": 2, "reasoning": "Mostly off topic."}', ONE, {"helpfulness": 2}, "json"),  # generic key, one criterion
    ('{"Helpfulness": "4/5"}', ONE, {"helpfulness": 4}, "json"),  # title case, "4/5" as a string
    ('{"scores": {"helpfulness": {"score": 5, "reason": "complete"}}}', ONE, {"helpfulness": 5}, "json"),
    ('{"helpfulness": 4.0}', ONE, {"helpfulness": 4}, "json"),
    ("The response answers the question but is vague about the steps.\n\nScore: 4/5", ONE, {"helpfulness": 4}, "text"),
    ("**Rationale:** Good overview.\n**Helpfulness:** 3", ONE, {"helpfulness": 3}, "text"),
    ("Rating (1-5): 2 - the answer ignores the question.", ONE, {"helpfulness": 2}, "text"),
    ("I would rate this response 4 out of 5 because it is accurate but long.", ONE, {"helpfulness": 4}, "text"),
    ("{'score': 5}", ONE, {"helpfulness": 5}, "text"),  # a Python dict is not JSON, but the label is readable
    ('{"rationale": "Accurate but misses the budget.", "scores": {"faithfulness": 5, "coverage": 3}}', TWO,
     {"faithfulness": 5, "coverage": 3}, "json"),
    ("Faithfulness: 4/5 - one number is rounded.\nCoverage: 2/5 - most decisions are missing.", TWO,
     {"faithfulness": 4, "coverage": 2}, "text"),
    ("Faithfulness score = 5\nCoverage score = 5\nOverall the summary is excellent.", TWO,
     {"faithfulness": 5, "coverage": 5}, "text"),
]


@pytest.mark.parametrize(("reply", "criteria", "scores", "method"), SCORED)
def test_readable_replies_are_scored(reply, criteria, scores, method) -> None:
    parsed = parse_reply(reply, criteria)
    assert (parsed.scores, parsed.method, parsed.problem) == (scores, method, None)


def test_rationale_comes_from_json_or_the_chatter_around_it() -> None:
    assert parse_reply('{"rationale": "Clear.", "scores": {"helpfulness": 4}}', ONE).rationale == "Clear."
    parsed = parse_reply('It covers everything asked.\n```json\n{"helpfulness": 5}\n```', ONE)
    assert parsed.rationale == "It covers everything asked."


UNSCORED = [
    # (reply, criteria, problem, partial scores kept for the record)
    ('{"rationale": "Excellent!", "scores": {"helpfulness": 7}}', ONE, "helpfulness: 7 is outside the 1-5 scale", {}),
    ('{"helpfulness": 0}', ONE, "helpfulness: 0 is outside the 1-5 scale", {}),
    ("Score: 8/10", ONE, "helpfulness: scored 8/10, not on the 1-5 scale", {}),
    ("Helpfulness: 9", ONE, "helpfulness: 9 is outside the 1-5 scale", {}),
    ('{"helpfulness": 3.5}', ONE, "helpfulness: 3.5 is not a whole number from 1 to 5", {}),
    ('{"helpfulness": "good"}', ONE, "helpfulness: 'good' is not a number", {}),
    ("The answer is polite and well structured, but I cannot verify the facts.", ONE, "no score found in the reply",
     {}),
    ("", ONE, "the reply is empty", {}),
    ("Score: 3. On reflection the list is complete, so Score: 4.", ONE, "conflicting scores for helpfulness: 3, 4",
     {}),
    ('{"scores": {"faithfulness": 4}}', TWO, "no score for coverage", {"faithfulness": 4}),
    ("Faithfulness: 5\nCoverage: 6", TWO, "coverage: 6 is outside the 1-5 scale", {"faithfulness": 5}),
]


@pytest.mark.parametrize(("reply", "criteria", "problem", "partial"), UNSCORED)
def test_unreadable_or_invalid_replies_are_unscored_never_zero_or_clamped(reply, criteria, problem, partial) -> None:
    parsed = parse_reply(reply, criteria)
    assert parsed.scores is None and not parsed.scored
    assert parsed.problem == problem
    assert parsed.partial == partial


def test_the_last_json_answer_wins_over_an_earlier_draft() -> None:
    reply = 'Draft: {"helpfulness": 2}\nAfter checking the steps again, final answer: {"helpfulness": 4}'
    assert parse_reply(reply, ONE).scores == {"helpfulness": 4}


def test_json_that_names_no_criterion_falls_through_to_text() -> None:
    reply = 'The user asked for {"format": "list"} and got one.\nHelpfulness: 5'
    parsed = parse_reply(reply, ONE)
    assert (parsed.scores, parsed.method) == ({"helpfulness": 5}, "text")


def test_a_verdict_cut_off_in_its_rationale_keeps_its_scores() -> None:
    """Why the verdict schema puts the scores first: a reply cut at the token limit loses only its rationale."""
    cut = '{"scores":{"faithfulness":4,"coverage":2},"rationale":"Every decision is there but the dead'
    assert parse_reply(cut, TWO).scores == {"faithfulness": 4, "coverage": 2}
    rationale_first = '{"rationale":"Every decision is there but the dead'
    assert parse_reply(rationale_first + '","scores":{"faithfulness":4', TWO).scores is None
