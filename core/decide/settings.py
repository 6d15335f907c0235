"""What the user chose that changes the ranking: criteria, their weights and direction, limits, license scores.

Stored in the decision record (``SelectionSettings.as_dict``) and read back from it (``from_dict``), so a
recorded decision can be recomputed. Weights are any non-negative numbers and mean their shares of the
total (10/20/70 or 1/2/7 are the same choice). A license not listed in ``license_scores`` scores as
missing, never as 0; license ids are compared in one spelling (``license_key``).

What happens to a model missing a weighted figure is the product owner's rule (``missing_data``, see
``MISSING_DATA_RULES``; applied by ``core.decide.missing``), never an ordering Decide makes up: an endpoint
model has no memory or disk figure, so every Foundry-Local-against-endpoint decision meets it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

CRITERIA: tuple[str, ...] = ("latency", "throughput", "memory", "quality", "footprint", "license")
CRITERION_LABELS: dict[str, str] = {
    "latency": "Latency", "throughput": "Tokens/s", "memory": "Memory", "quality": "Quality",
    "footprint": "Disk footprint", "license": "License",
}
HIGHER_IS_BETTER: dict[str, bool] = {
    "latency": False, "throughput": True, "memory": False, "quality": True, "footprint": False, "license": True,
}
DEFAULT_WEIGHTS: dict[str, float] = {
    "latency": 25, "throughput": 15, "memory": 15, "quality": 30, "footprint": 5, "license": 10,
}
NORMALISATIONS: tuple[str, ...] = ("minmax", "rank", "relative")
# Criteria whose values have a meaning of their own are scored on that scale, never relative to the other
# models: quality is a 1-5 rubric score (every model at 1/5 must earn no quality points, not the full ones),
# a license score is already 0..1 (see DEFAULT_LICENSE_SCORES). Points = weight x (value - low) / (high - low).
ABSOLUTE_SCALES: dict[str, tuple[float, float]] = {"quality": (1.0, 5.0), "license": (0.0, 1.0)}
LATENCY_STATS: tuple[str, ...] = ("mean", "p95")
# The rule for a model missing a weighted figure, in the words the page offers it. The default drops the
# criterion for everyone: it needs no typing and hides nothing (the page says what was dropped), where
# "exclude" would silently lose every endpoint model and "fill" asks for numbers first.
MISSING_DATA_RULES: dict[str, str] = {
    "drop": "drop that criterion for every model",
    "fill": "fill the gap with a value entered by hand (memory, disk); a model still missing one is left out",
    "exclude": "leave the model out",
}
DEFAULT_MISSING_DATA = "drop"
# Criteria a person may type a value for (an endpoint model's memory or disk, which no run can measure);
# the others are measured (latency, tokens/s), graded (quality) or from the model details (license).
ENTERABLE: tuple[str, ...] = ("memory", "footprint")
ENTERED_BY_HAND = "entered by hand"
# 1 = permissive, commercial use fine; 0.5 = usable with conditions (acceptable-use policy, user caps);
# 0 = no commercial use. A license not listed scores as missing, never as 0.
DEFAULT_LICENSE_SCORES: dict[str, float] = {
    "apache-2.0": 1.0, "mit": 1.0, "bsd-2-clause": 1.0, "bsd-3-clause": 1.0,
    "llama3": 0.5, "llama3.1": 0.5, "llama3.2": 0.5, "llama3.3": 0.5, "gemma": 0.5,
    "cc-by-nc-4.0": 0.0, "cc-by-nc-sa-4.0": 0.0,
}


def license_key(text: str | None) -> str | None:
    """One spelling per license id (``Apache 2.0`` -> ``apache-2.0``) so lookups ignore case and spaces."""
    if text is None or not text.strip():
        return None
    return "-".join(text.strip().lower().split())


@dataclass(frozen=True)
class Criterion:
    """One decision dimension: how much it matters and which way is better."""

    key: str
    weight: float
    higher_is_better: bool
    normalisation: str = "minmax"

    def __post_init__(self) -> None:
        if self.key not in CRITERIA:
            raise ValueError(f"Unknown criterion {self.key!r}; use one of {', '.join(CRITERIA)}.")
        if not math.isfinite(self.weight) or self.weight < 0:
            raise ValueError(f"The weight of {self.key} must be a non-negative number, got {self.weight}.")
        if self.normalisation not in NORMALISATIONS:
            raise ValueError(f"Unknown normalisation {self.normalisation!r}; use one of {', '.join(NORMALISATIONS)}.")


def default_criteria(weights: Mapping[str, float] | None = None,
                     normalisation: str = "minmax") -> tuple[Criterion, ...]:
    """Every criterion with its natural direction; ``weights`` overrides the defaults (missing keys = 0)."""
    chosen = DEFAULT_WEIGHTS if weights is None else weights
    unknown = set(chosen) - set(CRITERIA)
    if unknown:
        raise ValueError(f"Unknown criteria {sorted(unknown)}; use {', '.join(CRITERIA)}.")
    return tuple(Criterion(key, float(chosen.get(key, 0.0)), HIGHER_IS_BETTER[key], normalisation) for key in CRITERIA)


@dataclass(frozen=True)
class Constraints:
    """Hard limits applied before scoring; ``None`` means no limit."""

    max_memory_mb: float | None = None
    max_disk_mb: float | None = None
    max_p95_latency_s: float | None = None
    min_quality: float | None = None
    allowed_licenses: tuple[str, ...] | None = None
    unknown_passes: bool = False

    def as_dict(self) -> dict[str, Any]:
        allowed = self.allowed_licenses
        return asdict(self) | {"allowed_licenses": None if allowed is None else list(allowed)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Constraints:
        allowed = data.get("allowed_licenses")
        return cls(**{**data, "allowed_licenses": None if allowed is None else tuple(allowed)})


@dataclass(frozen=True)
class SelectionSettings:
    """Everything the user chose that changes the ranking (stored in the decision record)."""

    criteria: tuple[Criterion, ...] = field(default_factory=default_criteria)
    latency_stat: str = "mean"
    constraints: Constraints = field(default_factory=Constraints)
    license_scores: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_LICENSE_SCORES))
    missing_data: str = DEFAULT_MISSING_DATA
    entered: Mapping[str, Mapping[str, float]] = field(default_factory=dict)  # ref -> {criterion: value}, "fill"

    def __post_init__(self) -> None:
        if self.missing_data not in MISSING_DATA_RULES:
            raise ValueError(f"The rule for missing data must be one of {', '.join(MISSING_DATA_RULES)}, "
                             f"got {self.missing_data!r}.")
        for ref, values in self.entered.items():
            for key, value in values.items():
                if key not in ENTERABLE:
                    raise ValueError(f"Only {' and '.join(ENTERABLE)} can be entered by hand, not {key!r} "
                                     f"(for {ref}).")
                if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value) \
                        or value < 0:
                    raise ValueError(f"The {key} entered for {ref} must be a non-negative number, got {value!r}.")
        if self.latency_stat not in LATENCY_STATS:
            raise ValueError(f"Latency statistic must be one of {', '.join(LATENCY_STATS)}, got {self.latency_stat!r}.")
        keys = [c.key for c in self.criteria]
        if len(set(keys)) != len(keys):
            raise ValueError("Each criterion may appear only once.")
        if not sum(c.weight for c in self.criteria) > 0:
            raise ValueError("Give at least one criterion a weight above zero.")

    def weight_shares(self) -> dict[str, float]:
        """Weights as shares of 1, so any non-negative numbers (10/20/70 or 1/2/7) mean the same."""
        total = sum(c.weight for c in self.criteria)
        return {c.key: c.weight / total for c in self.criteria}

    def license_score(self, license_text: str | None) -> float | None:
        scores = {license_key(k): float(v) for k, v in self.license_scores.items()}
        return scores.get(license_key(license_text))

    def as_dict(self) -> dict[str, Any]:
        return {"criteria": [asdict(c) for c in self.criteria], "latency_stat": self.latency_stat,
                "constraints": self.constraints.as_dict(), "license_scores": dict(self.license_scores),
                "missing_data": self.missing_data,
                "entered": {ref: dict(values) for ref, values in self.entered.items()}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SelectionSettings:
        """Read back ``as_dict``; a record from before the rule existed reads as the default rule."""
        return cls(criteria=tuple(Criterion(**c) for c in data["criteria"]), latency_stat=data["latency_stat"],
                   constraints=Constraints.from_dict(data["constraints"]), license_scores=dict(data["license_scores"]),
                   missing_data=data.get("missing_data", DEFAULT_MISSING_DATA),
                   entered={ref: dict(v) for ref, v in (data.get("entered") or {}).items()})
