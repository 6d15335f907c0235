"""Hard constraints: the limits a candidate must meet before it is scored, each failure one plain sentence.

A model failing several is listed with every reason. A value that is unknown (missing, or not a usable
number: NaN and infinities, ``core.decide.usable``) cannot be shown to meet a limit, so it fails the
constraint unless ``Constraints.unknown_passes`` is set. The limits themselves
(``Constraints``) are part of the user's settings (``core.decide.settings``), stored with the record.
"""

from __future__ import annotations

from collections.abc import Callable

from core.decide.candidates import Candidate
from core.decide.settings import Constraints, license_key
from core.decide.usable import usable


def _fmt_mb(value: float) -> str:
    return f"{value:,.0f} MB"


def _limit_reason(name: str, value: float | None, limit: float | None, fmt: Callable[[float], str], too_high: bool,
                  unknown_passes: bool) -> str | None:
    """``None`` when within the limit, else the sentence that says why not."""
    if limit is None:
        return None
    value = usable(value)
    if value is None:
        return None if unknown_passes else f"{name} is unknown, so the {fmt(limit)} limit cannot be checked"
    if too_high and value > limit:
        return f"{name} {fmt(value)} exceeds the {fmt(limit)} limit"
    if not too_high and value < limit:
        return f"{name} {fmt(value)} is below the {fmt(limit)} minimum"
    return None


def constraint_reasons(candidate: Candidate, constraints: Constraints) -> tuple[str, ...]:
    """Every hard constraint ``candidate`` fails, in plain language; empty when it passes them all."""
    c, unknown = constraints, constraints.unknown_passes
    reasons = [
        _limit_reason("memory", candidate.memory_mb, c.max_memory_mb, _fmt_mb, True, unknown),
        _limit_reason("disk footprint", candidate.disk_mb, c.max_disk_mb, _fmt_mb, True, unknown),
        _limit_reason("p95 latency", candidate.latency_p95_s, c.max_p95_latency_s, lambda v: f"{v:.2f} s", True,
                      unknown),
        _limit_reason("quality", candidate.quality_mean(), c.min_quality, lambda v: f"{v:.2f} / 5", False, unknown),
        _license_reason(candidate.license, c.allowed_licenses, unknown),
    ]
    return tuple(r for r in reasons if r)


def _license_reason(license_text: str | None, allowed: tuple[str, ...] | None, unknown_passes: bool) -> str | None:
    if allowed is None:
        return None
    keys = {license_key(a) for a in allowed}
    listed = ", ".join(allowed) or "none"
    if license_key(license_text) is None:
        return None if unknown_passes else f"license is unknown, so it cannot be checked against the allowed set " \
                                           f"({listed})"
    if license_key(license_text) not in keys:
        return f"license {license_text!r} is not in the allowed set ({listed})"
    return None
