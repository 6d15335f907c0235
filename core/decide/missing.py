"""The missing-data rule: what happens to a model that lacks a weighted figure, as the product owner chose.

``SelectionSettings.missing_data`` is one of ``settings.MISSING_DATA_RULES``:

* ``drop`` (default): a weighted criterion that some eligible model lacks is dropped for every model, its
  weight spread over the others (said in ``Ranking.dropped``);
* ``fill``: values entered by hand (``SelectionSettings.entered``: an endpoint model's memory or disk) fill
  the gaps, marked "entered by hand" wherever they appear; they never replace a measurement and they are
  checked against the hard limits like one. A model still missing a weighted figure is left out, the
  reason saying what to enter;
* ``exclude``: a model missing a weighted figure is left out, with the reason.

Whatever the rule, a criterion NO eligible model has (e.g. no quality grades yet) is dropped for everyone.
So every ranked model has every weighted figure, and the score, the order, the lead and every sensitivity
figure are about the same numbers: no model ranks on evidence the others were judged on and it lacked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from core.decide.candidates import Candidate, Exclusion
from core.decide.settings import CRITERION_LABELS, ENTERABLE, ENTERED_BY_HAND, SelectionSettings
from core.decide.usable import usable

# the Candidate fields a hand-entered value fills, with their "where from" field
_ENTERED_FIELDS = {"memory": ("memory_mb", "memory_source"), "footprint": ("disk_mb", "disk_source")}


def criterion_value(candidate: Candidate, key: str, settings: SelectionSettings) -> float | None:
    """The figure ``key`` of ``candidate`` as the ranking uses it (latency per the chosen statistic), or
    ``None`` when it is missing or not a usable number."""
    value = {
        "latency": candidate.latency(settings.latency_stat), "throughput": candidate.throughput_tps,
        "memory": candidate.memory_mb, "quality": candidate.quality_mean(), "footprint": candidate.disk_mb,
        "license": settings.license_score(candidate.license),
    }[key]
    return usable(value)


def filled(candidate: Candidate, settings: SelectionSettings) -> Candidate:
    """``candidate`` with its gaps filled by the values entered by hand, under the ``fill`` rule only."""
    if settings.missing_data != "fill":
        return candidate
    changes = {}
    for key, value in settings.entered.get(candidate.ref, {}).items():
        figure, source = _ENTERED_FIELDS[key]
        if usable(getattr(candidate, figure)) is None:
            changes |= {figure: float(value), source: ENTERED_BY_HAND}
    return replace(candidate, **changes) if changes else candidate


def entered_criteria(candidate: Candidate) -> tuple[str, ...]:
    """The criteria whose figure for ``candidate`` was entered by hand."""
    return tuple(k for k, (_, source) in _ENTERED_FIELDS.items() if getattr(candidate, source) == ENTERED_BY_HAND)


@dataclass(frozen=True)
class Applied:
    """The rule's outcome: the models that stay, the ones it left out, and the criteria it dropped."""

    kept: tuple[Candidate, ...]
    left_out: tuple[Exclusion, ...]
    dropped: dict[str, str]


def _missing_reason(key: str, rule: str) -> str:
    label = CRITERION_LABELS[key].lower()
    if rule == "exclude":
        return f"no {label} figure (your rule for missing data: leave such a model out)"
    if key in ENTERABLE:
        return f"no {label} figure: enter one by hand, or choose another rule for missing data"
    return f"no {label} figure, and it cannot be entered by hand: measure it, or choose another rule for missing data"


def apply_rule(eligible: Sequence[Candidate], settings: SelectionSettings,
               shares: Mapping[str, float]) -> Applied:
    """Apply ``settings.missing_data`` to the models that passed the hard limits (see the module docstring)."""
    weighted = [k for k, share in shares.items() if share > 0]
    values = {c.ref: {k: criterion_value(c, k, settings) for k in weighted} for c in eligible}
    lacking = {k: [c.ref for c in eligible if values[c.ref][k] is None] for k in weighted}
    dropped = {k: f"no data for any eligible model; its {shares[k]:.0%} weight was spread over the others"
               for k in weighted if eligible and len(lacking[k]) == len(eligible)}
    partial = {k: refs for k, refs in lacking.items() if refs and k not in dropped}
    if settings.missing_data == "drop":
        dropped |= {k: f"no figure for {', '.join(refs)}; by your rule for missing data it is dropped for every "
                       f"model, its {shares[k]:.0%} weight spread over the others" for k, refs in partial.items()}
        return Applied(tuple(eligible), (), dropped)
    left_out = [Exclusion(c.ref, tuple(_missing_reason(k, settings.missing_data) for k in partial
                                       if c.ref in partial[k])) for c in eligible]
    return Applied(tuple(c for c, e in zip(eligible, left_out, strict=True) if not e.reasons),
                   tuple(e for e in left_out if e.reasons), dropped)
