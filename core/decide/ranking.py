"""Choosing a model from evidence: candidates, hard constraints, weighted scores, Pareto and sensitivity.

The pipeline is ``candidate_table`` (stored runs + model metadata + optional quality) -> ``rank``
(constraints, normalisation, weights) -> ``pareto_quality_latency`` and ``sensitivity`` on the
result. Everything is a pure function of plain data so the Decide page, the CLI, the tests and the
decision record (``core.decide.decision``) recompute identical numbers.

Policies, pinned by ``tests/test_selection.py``:

* **Several runs.** A model's figures come from ONE run, never an average of runs made under
  different conditions: the newest selected run (by ``created_at``) in which the model produced
  counted samples wins, unless ``choose={ref: run_id}`` names the run explicitly. The other runs it
  appears in are listed in the table's ``notes``. A model with no usable result in any selected run
  is excluded with the reason (its stored error).
* **Missing data.** A missing value is ``None``, never zero. If NO eligible model has data for a
  weighted criterion (e.g. no quality grades yet), the criterion is dropped for everyone, its weight
  spread over the others, and ``Ranking.dropped`` says so. If only SOME models lack it, those models
  are scored on the criteria they have (their weights renormalised) but flagged ``incomplete`` with
  the missing criteria and the share of the weight that was measured (``coverage``), and they rank
  after every complete model: a model cannot win on evidence it does not have.
* **Hard constraints** run before scoring and a model failing several is listed with every reason.
  A value that is unknown cannot be shown to meet a limit, so it fails the constraint unless
  ``Constraints.unknown_passes`` is set.
* **Normalisation** maps each criterion to 0..1, 1 = best, over the eligible models that have a value:
  ``minmax`` (default; all-equal values score 1 for everyone, since the criterion does not
  discriminate), ``rank`` (best 1, worst 0, ties share their mean rank) or ``relative`` (value / best
  for higher-is-better, best / value for lower-is-better).
* Scores are 0..100: ``sum(weight share x normalised value)``; each criterion's points are its part of
  that sum (stacked bars). Ties are broken by model reference so results never depend on input order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.models.specs import model_specs
from store import Store, queries
from store.queries import produced_results
from store.records import ModelInfo, ModelResult, Run

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
LATENCY_STATS: tuple[str, ...] = ("mean", "p95")
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


# ------------------------------------------------------------------ settings


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

    def __post_init__(self) -> None:
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
                "constraints": self.constraints.as_dict(), "license_scores": dict(self.license_scores)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SelectionSettings:
        return cls(criteria=tuple(Criterion(**c) for c in data["criteria"]), latency_stat=data["latency_stat"],
                   constraints=Constraints.from_dict(data["constraints"]), license_scores=dict(data["license_scores"]))


# ------------------------------------------------------------------ candidates


@dataclass(frozen=True)
class Candidate:
    """One model's evidence, from one run (see the module docstring for which run)."""

    ref: str
    run_id: str | None = None
    run_created_at: str | None = None
    latency_mean_s: float | None = None
    latency_p95_s: float | None = None
    latency_ci95: tuple[float, float] | None = None
    throughput_tps: float | None = None
    throughput_ci95: tuple[float, float] | None = None
    n_samples: int = 0
    memory_mb: float | None = None
    memory_source: str | None = None  # "peak" or "load"
    disk_mb: float | None = None
    disk_source: str | None = None  # "run" or "metadata"
    license: str | None = None
    quality: Mapping[str, Any] | None = None  # {mean, ci95_low, ci95_high, n}
    device: str | None = None
    warnings: tuple[str, ...] = ()

    def latency(self, stat: str) -> float | None:
        return self.latency_p95_s if stat == "p95" else self.latency_mean_s

    def quality_mean(self) -> float | None:
        return None if not self.quality else self.quality.get("mean")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Candidate:
        fixed = dict(data)
        for key in ("latency_ci95", "throughput_ci95"):
            fixed[key] = None if data.get(key) is None else tuple(data[key])
        fixed["warnings"] = tuple(data.get("warnings", ()))
        return cls(**fixed)


@dataclass(frozen=True)
class Exclusion:
    """A model left out of the ranking, with every reason in plain language."""

    ref: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class CandidateTable:
    """The models to choose between, the ones that had no usable result, and the runs behind them."""

    candidates: tuple[Candidate, ...]
    unavailable: tuple[Exclusion, ...] = ()
    runs: tuple[Mapping[str, Any], ...] = ()  # evidence per run: id, dates, prompt set, settings, environment
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CandidateTable:
        return cls(candidates=tuple(Candidate.from_dict(c) for c in data["candidates"]),
                   unavailable=tuple(Exclusion(e["ref"], tuple(e["reasons"])) for e in data.get("unavailable", ())),
                   runs=tuple(data.get("runs", ())), notes=tuple(data.get("notes", ())))


def _usable(info: ModelResult) -> bool:
    return produced_results(info) and ((info.summary or {}).get("n_counted") or 0) > 0


def _ci(metric: Mapping[str, Any]) -> tuple[float, float] | None:
    low, high = metric.get("ci95_low"), metric.get("ci95_high")
    return None if low is None or high is None else (low, high)


def _candidate(ref: str, run: Run, spec: ModelInfo | None, quality: Mapping[str, Any] | None) -> Candidate:
    """Figures of ``ref`` in ``run``: memory is the peak added (load-time growth if no peak was sampled),
    disk is what the run measured (the metadata's size when it could not)."""
    info = run.models[ref]
    summary = info.summary or {}  # a free-form object (``core.benchmark.metrics.summarize_samples``), read as a dict
    e2e, tps = summary["metrics"]["e2e_s"], summary["metrics"]["decode_tps"]
    peak, load = info.rss_peak_mb, info.rss_load_mb
    disk, size = info.disk_mb, spec.size_mb if spec else None
    warnings = [w for w in (e2e.get("warning"),) if w]
    if summary.get("tokens_estimated"):
        warnings.append("token counts estimated")
    return Candidate(
        ref=ref, run_id=run.run_id, run_created_at=run.created_at,
        latency_mean_s=e2e.get("mean"), latency_p95_s=e2e.get("p95"), latency_ci95=_ci(e2e),
        throughput_tps=tps.get("mean"), throughput_ci95=_ci(tps), n_samples=summary.get("n_counted") or 0,
        memory_mb=peak if peak is not None else load,
        memory_source="peak" if peak is not None else ("load" if load is not None else None),
        disk_mb=disk if disk is not None else size,
        disk_source="run" if disk is not None else ("metadata" if size is not None else None),
        license=spec.license if spec else None, quality=dict(quality) if quality else None,
        device=info.device, warnings=tuple(warnings),
    )


def _run_evidence(run: Run) -> dict[str, Any]:
    return {
        "run_id": run.run_id, "created_at": run.created_at, "finished_at": run.finished_at,
        "status": run.status, "prompt_set": run.prompt_set.name, "n_prompts": len(run.prompt_set.prompts),
        "settings": {k: run.settings.get(k) for k in ("rounds", "warmup", "max_output_tokens", "temperature", "seed",
                                                       "concurrency")},
        "environment": run.environment,
    }


def candidate_table(runs: Sequence[Run], specs: Mapping[str, ModelInfo] | None = None,
                    quality: Mapping[str, Mapping[str, Any]] | None = None, *,
                    choose: Mapping[str, str] | None = None) -> CandidateTable:
    """Candidates from stored runs (newest usable run per model unless ``choose`` names one), metadata
    from ``core.models.specs.model_specs`` and quality as ``{ref: {mean, ci95_low, ci95_high, n}}``."""
    specs, quality, choose = specs or {}, quality or {}, choose or {}
    newest_first = queries.newest_first(runs)
    by_id = {r.run_id: r for r in runs}
    refs = sorted({ref for run in runs for ref in run.models})
    if set(choose) - set(refs):
        raise ValueError(f"Not in the selected runs: {', '.join(sorted(set(choose) - set(refs)))}.")
    candidates, unavailable, notes = [], [], []
    for ref in refs:
        appears = [r for r in newest_first if ref in r.models]
        usable = [r for r in appears if _usable(r.models[ref])]
        picked = _pick_run(ref, usable, by_id, choose)
        if picked is None:
            errors = sorted({r.models[ref].error or r.models[ref].status for r in appears})
            unavailable.append(Exclusion(ref, (f"no benchmark results in the selected runs ({'; '.join(errors)})",)))
            continue
        candidates.append(_candidate(ref, picked, specs.get(ref), quality.get(ref)))
        others = [r.run_id for r in appears if r is not picked]
        if others:
            how = "chosen explicitly" if ref in choose else "the newest run with results"
            notes.append(f"{ref}: figures from run {picked.run_id} ({how}); also in {', '.join(others)}")
    notes += [f"quality given for {ref}, which is not in the selected runs" for ref in sorted(set(quality) - set(refs))]
    return CandidateTable(tuple(candidates), tuple(unavailable), tuple(_run_evidence(r) for r in newest_first),
                          tuple(notes))


def _pick_run(ref: str, usable: list[Run], by_id: Mapping[str, Run], choose: Mapping[str, str]) -> Run | None:
    if ref not in choose:
        return usable[0] if usable else None
    run = by_id.get(choose[ref])
    if run is None or not any(r is run for r in usable):
        raise ValueError(f"Run {choose[ref]!r} has no usable results for {ref}; choose one of "
                         f"{', '.join(r.run_id for r in usable) or 'no run'}.")
    return run


def candidate_table_from_store(store: Store, run_ids: Sequence[str],
                               quality: Mapping[str, Mapping[str, Any]] | None = None, *,
                               choose: Mapping[str, str] | None = None) -> CandidateTable:
    """``candidate_table`` over stored runs and the ``models`` table; an unknown run id is a ``ValueError``."""
    runs = []
    for run_id in run_ids:
        run = queries.get_run(store, run_id)
        if run is None:
            raise ValueError(f"No run {run_id!r} in the store.")
        runs.append(run)
    return candidate_table(runs, model_specs(store), quality, choose=choose)


# ------------------------------------------------------------------ constraints


def _fmt_mb(value: float) -> str:
    return f"{value:,.0f} MB"


def _limit_reason(name: str, value: float | None, limit: float | None, fmt: Callable[[float], str], too_high: bool,
                  unknown_passes: bool) -> str | None:
    """``None`` when within the limit, else the sentence that says why not."""
    if limit is None:
        return None
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


# ------------------------------------------------------------------ normalisation and scores


def normalise(values: Sequence[float | None], higher_is_better: bool, method: str = "minmax") -> list[float | None]:
    """Map values to 0..1 (1 = best) among those present; ``None`` stays ``None``."""
    present = np.array([v for v in values if v is not None], dtype=float)
    if present.size == 0:
        return [None] * len(values)
    result = _NORMALISERS[method](present, higher_is_better)
    it = iter(result.tolist())
    return [None if v is None else next(it) for v in values]


def _minmax(x: np.ndarray, higher: bool) -> np.ndarray:
    span = x.max() - x.min()
    if span == 0:
        return np.ones_like(x)
    return (x - x.min()) / span if higher else (x.max() - x) / span


def _rank(x: np.ndarray, higher: bool) -> np.ndarray:
    if x.size == 1:
        return np.ones_like(x)
    keyed = x if higher else -x
    order = keyed.argsort(kind="stable")
    ranks = np.empty_like(x)
    ranks[order] = np.arange(x.size, dtype=float)
    for value in np.unique(keyed):  # ties share the mean of their ranks
        ranks[keyed == value] = ranks[keyed == value].mean()
    return ranks / (x.size - 1)


def _relative(x: np.ndarray, higher: bool) -> np.ndarray:
    x = np.clip(x, 0, None)
    best = x.max() if higher else x.min()
    if higher:
        return x / best if best > 0 else np.ones_like(x)
    return np.where(x == best, 1.0, np.divide(best, x, out=np.zeros_like(x), where=x > 0))


_NORMALISERS = {"minmax": _minmax, "rank": _rank, "relative": _relative}


@dataclass(frozen=True)
class ScoredModel:
    """One ranked model: score 0..100, each criterion's points, and what it was not measured on."""

    ref: str
    rank: int
    score: float | None
    complete: bool
    coverage: float  # share of the weight backed by data (1.0 when complete)
    missing: tuple[str, ...]
    values: dict[str, float | None]  # raw value per criterion (latency per the chosen statistic)
    normalised: dict[str, float | None]
    contributions: dict[str, float]  # points per criterion; they sum to ``score``


@dataclass(frozen=True)
class Ranking:
    """The result of ``rank``: ranked and excluded models, and the weights actually applied."""

    ranked: tuple[ScoredModel, ...]
    excluded: tuple[Exclusion, ...]
    weights: dict[str, float]  # shares of 1 as applied (dropped criteria at 0)
    dropped: dict[str, str]  # criterion -> why it was left out for every model
    latency_stat: str

    @property
    def winner(self) -> str | None:
        return self.ranked[0].ref if self.ranked and self.ranked[0].score is not None else None


def _criterion_value(candidate: Candidate, key: str, settings: SelectionSettings) -> float | None:
    value = {
        "latency": candidate.latency(settings.latency_stat), "throughput": candidate.throughput_tps,
        "memory": candidate.memory_mb, "quality": candidate.quality_mean(), "footprint": candidate.disk_mb,
        "license": settings.license_score(candidate.license),
    }[key]
    return None if value is None or not math.isfinite(value) else float(value)


def _scores(weights: np.ndarray, norm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scores (0..100, NaN when nothing weighted is measured) and coverage for a weight vector.

    ``norm`` is models x criteria with NaN for missing values; each model's weights are renormalised over
    the criteria it has, which is the missing-data policy in one line."""
    has = ~np.isnan(norm)
    filled = np.where(has, norm, 0.0)
    covered = has.astype(float) @ weights
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = 100 * (filled @ weights) / covered
    return np.where(covered > 0, scores, np.nan), covered


def _order(scores: np.ndarray, complete: np.ndarray, refs: Sequence[str]) -> list[int]:
    """Complete models first, then by score (unscored last), ties by reference."""
    return sorted(range(len(refs)), key=lambda i: (not complete[i], bool(np.isnan(scores[i])),
                                                  -np.nan_to_num(scores[i]), refs[i]))


def rank(table: CandidateTable, settings: SelectionSettings) -> Ranking:
    """Apply the hard constraints, then score and order what is left (see the module docstring)."""
    excluded = list(table.unavailable)
    eligible = []
    for candidate in sorted(table.candidates, key=lambda c: c.ref):
        reasons = constraint_reasons(candidate, settings.constraints)
        if reasons:
            excluded.append(Exclusion(candidate.ref, reasons))
        else:
            eligible.append(candidate)
    keys = [c.key for c in settings.criteria]
    raw = {c.key: [_criterion_value(m, c.key, settings) for m in eligible] for c in settings.criteria}
    shares = settings.weight_shares()
    dropped = {k: f"no data for any eligible model; its {shares[k]:.0%} weight was spread over the others"
               for k in keys if shares[k] > 0 and all(v is None for v in raw[k])} if eligible else {}
    weights = _applied_weights(shares, dropped)
    normed = {c.key: normalise(raw[c.key], c.higher_is_better, c.normalisation) for c in settings.criteria}
    norm = np.array([[np.nan if normed[k][i] is None else normed[k][i] for k in keys] for i in range(len(eligible))],
                    dtype=float).reshape(len(eligible), len(keys))
    w = np.array([weights[k] for k in keys])
    scores, covered = _scores(w, norm)
    complete = np.isclose(covered, 1.0)
    refs = [m.ref for m in eligible]
    ranked = []
    for position, i in enumerate(_order(scores, complete, refs), start=1):
        ranked.append(_scored(refs[i], position, scores[i], covered[i], keys, w, norm[i], raw, normed, i))
    return Ranking(tuple(ranked), tuple(excluded), weights, dropped, settings.latency_stat)


def _applied_weights(shares: Mapping[str, float], dropped: Mapping[str, str]) -> dict[str, float]:
    kept = {k: (0.0 if k in dropped else v) for k, v in shares.items()}
    total = sum(kept.values())
    if total <= 0:
        raise ValueError("None of the weighted criteria has data for any model: weigh a measured criterion.")
    return {k: v / total for k, v in kept.items()}


def _scored(ref: str, position: int, score: float, covered: float, keys: list[str], w: np.ndarray,
            norm_row: np.ndarray, raw: Mapping[str, list], normed: Mapping[str, list], i: int) -> ScoredModel:
    has = ~np.isnan(norm_row)
    missing = tuple(k for j, k in enumerate(keys) if w[j] > 0 and not has[j])
    points = {k: float(100 * w[j] * norm_row[j] / covered) if has[j] and covered > 0 else 0.0
              for j, k in enumerate(keys)}
    return ScoredModel(ref=ref, rank=position, score=None if np.isnan(score) else float(score),
                       complete=not missing, coverage=float(covered), missing=missing,
                       values={k: raw[k][i] for k in keys}, normalised={k: normed[k][i] for k in keys},
                       contributions=points)


def ranking_frame(ranking: Ranking) -> pd.DataFrame:
    """The ranked table: score, status, and per criterion its raw value and points."""
    rows = []
    for m in ranking.ranked:
        row: dict[str, Any] = {"rank": m.rank, "model": m.ref, "score": m.score,
                               "status": "complete" if m.complete else "incomplete: no " + ", ".join(m.missing),
                               "coverage %": round(100 * m.coverage, 1)}
        for key in m.values:
            row[f"{key} value"] = m.values[key]
            row[f"{key} points"] = m.contributions[key]
        rows.append(row)
    return pd.DataFrame(rows)


def contribution_frame(ranking: Ranking) -> pd.DataFrame:
    """Long form ``model, criterion, points`` for a stacked bar, in rank order."""
    return pd.DataFrame([{"model": m.ref, "criterion": CRITERION_LABELS[k], "points": p}
                         for m in ranking.ranked for k, p in m.contributions.items()],
                        columns=["model", "criterion", "points"])


# ------------------------------------------------------------------ Pareto


@dataclass(frozen=True)
class ParetoPoint:
    """A model on the quality-vs-latency chart; it is on the frontier when no model dominates it."""

    ref: str
    quality: float
    latency_s: float
    dominated_by: tuple[str, ...]

    @property
    def on_frontier(self) -> bool:
        return not self.dominated_by


@dataclass(frozen=True)
class Pareto:
    points: tuple[ParetoPoint, ...]
    not_plotted: dict[str, str]  # ref -> which value is missing


def pareto_quality_latency(ranking: Ranking) -> Pareto:
    """Which ranked models are dominated: another is at least as good on quality (higher) and latency (lower)
    and strictly better on one. Models missing either value are listed, not guessed."""
    plotted, not_plotted = [], {}
    for m in ranking.ranked:
        quality, latency = m.values.get("quality"), m.values.get("latency")
        if quality is None or latency is None:
            not_plotted[m.ref] = "no quality grades" if quality is None else "no latency figure"
        else:
            plotted.append((m.ref, quality, latency))
    points = tuple(
        ParetoPoint(ref, q, lat, tuple(o for o, oq, olat in plotted
                                       if oq >= q and olat <= lat and (oq > q or olat < lat)))
        for ref, q, lat in plotted
    )
    return Pareto(points, not_plotted)


# ------------------------------------------------------------------ sensitivity


@dataclass(frozen=True)
class WeightFlip:
    """How far one weight can move (others keeping their proportions) before the winner changes."""

    criterion: str
    weight: float  # current share of 1
    lower: float | None  # below this share another model wins; None: the winner holds down to 0
    lower_winner: str | None
    upper: float | None  # above this share another model wins; None: the winner holds up to 1
    upper_winner: str | None


@dataclass(frozen=True)
class WinProbability:
    """Share of random weightings (Dirichlet around the chosen weights) each model wins."""

    probabilities: dict[str, float]
    draws: int
    seed: int
    concentration: float


@dataclass(frozen=True)
class Sensitivity:
    flips: tuple[WeightFlip, ...]
    win: WinProbability


@dataclass(frozen=True)
class _Matrix:
    """The ranking reduced to what sensitivity needs: refs sorted (ties -> first ref), normalised values."""

    refs: list[str]
    keys: list[str]
    norm: np.ndarray
    weights: np.ndarray


def _matrix(ranking: Ranking) -> _Matrix:
    models = sorted(ranking.ranked, key=lambda m: m.ref)
    keys = [k for k in ranking.weights if any(m.normalised[k] is not None for m in models)]
    norm = np.array([[np.nan if m.normalised[k] is None else m.normalised[k] for k in keys] for m in models],
                    dtype=float).reshape(len(models), len(keys))
    return _Matrix([m.ref for m in models], keys, norm, np.array([ranking.weights[k] for k in keys]))


def _winners(norm: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Winner index per weight row (rows x criteria), by the same rule as ``rank``: complete models first.

    A model is complete when it has every criterion whose weight is positive in that row."""
    has = ~np.isnan(norm)
    filled = np.where(has, norm, 0.0)
    covered = weights @ has.T.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = (weights @ filled.T) / covered
    positive = weights > 0
    complete = ~(positive[:, None, :] & ~has[None, :, :]).any(axis=2)
    any_complete = complete.any(axis=1, keepdims=True)
    eligible = np.where(any_complete, complete, True) & ~np.isnan(scores)
    return np.where(eligible, np.nan_to_num(scores, nan=-np.inf), -np.inf).argmax(axis=1)


def _weights_with(base: np.ndarray, j: int, share: np.ndarray) -> np.ndarray:
    """Rows of weights where criterion ``j`` has ``share`` and the others keep their proportions."""
    others = base.copy()
    others[j] = 0.0
    others = others / others.sum()
    rows = np.outer(1 - share, others)
    rows[:, j] = share
    return rows


def _first_flip(mat: _Matrix, j: int, start: float, end: float, winner: int, steps: int,
                tol: float) -> tuple[float | None, str | None]:
    """Scan from ``start`` to ``end`` for the first share where another model wins, then bisect to ``tol``."""
    grid = np.linspace(start, end, steps + 1)
    winners = _winners(mat.norm, _weights_with(mat.weights, j, grid))
    changed = np.flatnonzero(winners != winner)
    if changed.size == 0:
        return None, None
    if changed[0] == 0:  # a float-level tie at the current weights: it flips at once
        return float(start), mat.refs[winners[0]]
    inside, outside = grid[changed[0] - 1], grid[changed[0]]
    while abs(outside - inside) > tol:
        mid = (inside + outside) / 2
        if _winners(mat.norm, _weights_with(mat.weights, j, np.array([mid])))[0] == winner:
            inside = mid
        else:
            outside = mid
    new = _winners(mat.norm, _weights_with(mat.weights, j, np.array([outside])))[0]
    return float((inside + outside) / 2), mat.refs[new]


def weight_flips(ranking: Ranking, *, steps: int = 400, tol: float = 1e-6) -> tuple[WeightFlip, ...]:
    """For each criterion with data: the weight shares, below and above the current one, at which the
    winner changes. Found by scanning ``steps`` points each way and bisecting the first change, so it
    follows ``rank`` exactly (including the missing-data policy) rather than a formula that could drift."""
    if ranking.winner is None:
        return ()
    mat = _matrix(ranking)
    winner = mat.refs.index(ranking.winner)
    flips = []
    for j, key in enumerate(mat.keys):
        if np.delete(mat.weights, j).sum() <= 0:  # nothing to trade weight with
            flips.append(WeightFlip(key, float(mat.weights[j]), None, None, None, None))
            continue
        current = float(mat.weights[j])
        lower, lower_winner = _first_flip(mat, j, current, 0.0, winner, steps, tol)
        upper, upper_winner = _first_flip(mat, j, current, 1.0, winner, steps, tol)
        flips.append(WeightFlip(key, current, lower, lower_winner, upper, upper_winner))
    return tuple(flips)


def win_probabilities(ranking: Ranking, *, draws: int = 2000, concentration: float = 50.0,
                      seed: int = 0) -> WinProbability:
    """How often each model wins when the weights are drawn from Dirichlet(concentration x weights).

    Higher ``concentration`` keeps draws closer to the chosen weights (at 50, a 30% weight moves by about
    6 points, one standard deviation); zero weights stay zero. Seeded, so a record can be reproduced."""
    if draws < 1 or concentration <= 0:
        raise ValueError("Draws and concentration must be positive.")
    mat = _matrix(ranking)
    if not mat.refs:
        return WinProbability({}, draws, seed, concentration)
    positive = mat.weights > 0
    sampled = np.zeros((draws, len(mat.keys)))
    sampled[:, positive] = np.random.default_rng(seed).dirichlet(concentration * mat.weights[positive], size=draws)
    counts = np.bincount(_winners(mat.norm, sampled), minlength=len(mat.refs))
    return WinProbability({ref: float(counts[i] / draws) for i, ref in enumerate(mat.refs)}, draws, seed,
                          concentration)


def sensitivity(ranking: Ranking, *, draws: int = 2000, concentration: float = 50.0, seed: int = 0) -> Sensitivity:
    """Both views of how fragile the winner is: per-weight flip points and random-weight win shares."""
    return Sensitivity(weight_flips(ranking), win_probabilities(ranking, draws=draws, concentration=concentration,
                                                                seed=seed))


def tornado_frame(flips: Sequence[WeightFlip]) -> pd.DataFrame:
    """Per criterion, how many weight points it can lose or gain before the winner changes (to 0 or 100
    when it never does), the nearest flip first: the bars of a tornado chart around the current weights."""
    rows = []
    for f in flips:
        down = 100 * (f.weight - (f.lower if f.lower is not None else 0.0))
        up = 100 * ((f.upper if f.upper is not None else 1.0) - f.weight)
        rows.append({"criterion": CRITERION_LABELS[f.criterion], "weight %": 100 * f.weight,
                     "down (points)": down, "up (points)": up,
                     "flips down": f.lower is not None, "flips up": f.upper is not None,
                     "winner below": f.lower_winner, "winner above": f.upper_winner})
    frame = pd.DataFrame(rows, columns=["criterion", "weight %", "down (points)", "up (points)", "flips down",
                                        "flips up", "winner below", "winner above"])
    down = frame["down (points)"].where(frame["flips down"], math.inf)
    up = frame["up (points)"].where(frame["flips up"], math.inf)
    fragility = pd.concat([down, up], axis=1).min(axis=1)  # distance to the nearest flip; inf: none
    return frame.assign(_f=fragility).sort_values("_f", kind="stable").drop(columns="_f").reset_index(drop=True)
