"""Reading scores out of a judge model's free-form reply.

Small local judges rarely answer in exactly the requested format: JSON comes wrapped in chatter
or code fences, or not at all ("Helpfulness: 4/5"). The ladder here tries structured JSON first,
then text patterns; the caller (``core.grading.judge``) adds one retry. The rule throughout:
a score is only ever one the judge actually wrote. Anything missing, ambiguous, fractional or
outside 1-5 is *not scored*, with the reason, never guessed, clamped or rescaled: a silent 0 or
a clamped 7 -> 5 would bias the model comparison in a way nobody could see.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from core.grading.rubric import LEVELS, Criterion

Method = Literal["json", "text"]
_RATIONALE_KEYS = ("rationale", "reasoning", "explanation", "reason", "justification", "comment")
_GENERIC_KEYS = ("score", "rating", "overall", "overall_score", "final_score")
_FENCE_RE = re.compile(r"```[a-zA-Z]*\s*(.*?)```", re.DOTALL)
_NUMBER = r"(-?\d+(?:\.\d+)?)"
_SCALE = r"(?:\s*(?:/|out\s+of|of)\s*(\d+))?"
_SEPARATOR = r"[\"']?\s*(?:\([^)]{0,12}\))?\s*(?:[:=]|-|–|—|\bis\b)\s*"
_MAX_RATIONALE = 2000


@dataclass(frozen=True)
class ParsedReply:
    """Scores for every criterion, or ``None`` with the ``problem`` that prevented scoring."""

    scores: dict[str, int] | None
    rationale: str
    method: Method | None
    problem: str | None = None
    partial: dict[str, int] = field(default_factory=dict)  # what was readable, kept for the record

    @property
    def scored(self) -> bool:
        return self.scores is not None


def parse_reply(reply: str, criteria: Sequence[Criterion]) -> ParsedReply:
    """Parse a judge reply: JSON (bare, fenced or amid chatter) first, then text patterns."""
    text = (reply or "").strip()
    if not text:
        return ParsedReply(None, "", None, "the reply is empty")
    found = _from_json(text, criteria)
    if found is not None:
        return found
    return _from_text(text, criteria)


# --- JSON ----------------------------------------------------------------------------------------


def json_objects(text: str) -> list[dict[str, Any]]:
    """Every JSON object in the text: fenced blocks first, then any ``{...}`` that decodes, in order."""
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    for chunk in [*_FENCE_RE.findall(text), text]:
        pos = chunk.find("{")
        while pos != -1:
            try:
                obj, end = decoder.raw_decode(chunk, pos)
            except json.JSONDecodeError:
                pos = chunk.find("{", pos + 1)
                continue
            if isinstance(obj, dict):
                found.append(obj)
            pos = chunk.find("{", end)
    return found


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def _lookup(mapping: dict[str, Any], criterion: Criterion, single: bool) -> tuple[bool, Any]:
    """The value given for ``criterion`` (by key or title; generic "score" keys if it is the only one)."""
    by_name = {_norm(str(k)): v for k, v in mapping.items()}
    names = [criterion.key, _norm(criterion.title)] + (list(_GENERIC_KEYS) if single else [])
    for name in names:
        if name in by_name:
            return True, by_name[name]
    return False, None


def _from_json(text: str, criteria: Sequence[Criterion]) -> ParsedReply | None:
    """The last JSON object that names at least one criterion decides; ``None`` if there is none."""
    single = len(criteria) == 1
    for obj in reversed(json_objects(text)):
        scores_obj = next((v for k, v in obj.items() if _norm(str(k)) == "scores" and isinstance(v, dict)), obj)
        values = {c.key: _lookup(scores_obj, c, single) for c in criteria}
        if not any(present for present, _ in values.values()):
            continue
        rationale = next((str(v) for k, v in obj.items() if _norm(str(k)) in _RATIONALE_KEYS), "")
        scores: dict[str, int] = {}
        problems: list[str] = []
        for criterion in criteria:
            present, value = values[criterion.key]
            if not present:
                problems.append(f"no score for {criterion.key}")
                continue
            if isinstance(value, dict):  # {"helpfulness": {"score": 4, "reason": "..."}}
                present, value = _lookup(value, criterion, True)
            score, problem = _check(criterion.key, value)
            if problem:
                problems.append(problem)
            else:
                scores[criterion.key] = score  # type: ignore[assignment]
        return _result(scores, problems, rationale or _outside_json(text), "json", criteria)
    return None


def _outside_json(text: str) -> str:
    """The chatter around a JSON answer, kept as the rationale when the JSON has none."""
    stripped = _FENCE_RE.sub("", text)
    start, end = stripped.find("{"), stripped.rfind("}")
    if start != -1 and end > start:
        stripped = stripped[:start] + stripped[end + 1 :]
    return stripped.strip()[:_MAX_RATIONALE]


# --- text patterns --------------------------------------------------------------------------------


def _labels(criterion: Criterion, single: bool) -> list[str]:
    names = {criterion.key, criterion.key.replace("_", " "), criterion.key.replace("_", "-"), criterion.title}
    pattern_names = [re.escape(n) for n in sorted(names, key=len, reverse=True)]
    if single:
        pattern_names += [r"(?:overall|final)\s+score", r"score", r"rating", r"grade"]
    return pattern_names


def _from_text(text: str, criteria: Sequence[Criterion]) -> ParsedReply:
    """Labelled scores ("Helpfulness: 4/5", "Score = 4", "**Rating** - 4 out of 5"); a lone "4/5"
    is accepted only for a one-criterion rubric."""
    plain = re.sub(r"[*`#]+", "", text)
    single = len(criteria) == 1
    scores: dict[str, int] = {}
    problems: list[str] = []
    for criterion in criteria:
        label = "|".join(_labels(criterion, single))
        pattern = re.compile(rf"(?<![A-Za-z])[\"']?(?:{label})(?:\s+(?:score|rating))?{_SEPARATOR}{_NUMBER}{_SCALE}",
                             re.IGNORECASE)
        matches = pattern.findall(plain)
        if not matches and single:
            matches = re.findall(rf"(?<![\d.]){_NUMBER}\s*(?:/|out\s+of)\s*(5)\b", plain, re.IGNORECASE)
        if not matches:
            problems.append(f"no score for {criterion.key}")
            continue
        readings = {_check(criterion.key, number, scale) for number, scale in matches}
        if len(readings) > 1:
            shown = ", ".join(sorted({n + (f"/{s}" if s else "") for n, s in matches}))
            problems.append(f"conflicting scores for {criterion.key}: {shown}")
            continue
        score, problem = readings.pop()
        if problem:
            problems.append(problem)
        else:
            scores[criterion.key] = score  # type: ignore[assignment]
    if len(problems) == len(criteria) and all(p.startswith("no score") for p in problems):
        return ParsedReply(None, text[:_MAX_RATIONALE], None, "no score found in the reply")
    return _result(scores, problems, text[:_MAX_RATIONALE], "text", criteria)


# --- shared ---------------------------------------------------------------------------------------


def _check(key: str, value: Any, scale: str | None = None) -> tuple[int | None, str | None]:
    """A whole number 1-5, or why not. ``scale`` is the denominator written after it ("8/10")."""
    if scale and scale != str(LEVELS[-1]):
        return None, f"{key}: scored {value}/{scale}, not on the 1-5 scale"
    if isinstance(value, str):
        match = re.fullmatch(rf"\s*{_NUMBER}{_SCALE}\s*", value)
        if not match:
            return None, f"{key}: {value!r} is not a number"
        if match.group(2):
            return _check(key, match.group(1), match.group(2))
        value = float(match.group(1))
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None, f"{key}: {json.dumps(value)} is not a number"
    if value != int(value):
        return None, f"{key}: {value:g} is not a whole number from 1 to 5"
    if int(value) not in LEVELS:
        return None, f"{key}: {int(value)} is outside the 1-5 scale"
    return int(value), None


def _result(scores: dict[str, int], problems: list[str], rationale: str, method: Method,
            criteria: Sequence[Criterion]) -> ParsedReply:
    if problems:
        return ParsedReply(None, rationale, method, "; ".join(problems), partial=scores)
    return ParsedReply({c.key: scores[c.key] for c in criteria}, rationale, method)
