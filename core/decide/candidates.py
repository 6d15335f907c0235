"""The models to choose between: one ``Candidate`` per model, its figures taken from ONE stored run.

Policy, pinned by ``tests/test_selection.py``: a model's figures come from ONE run, never an average of
runs made under different conditions: the newest selected run (by ``created_at``) in which the model
produced counted samples wins, unless ``choose={ref: run_id}`` names the run explicitly. The other runs
it appears in are listed in the table's ``notes``. A model with no usable result in any selected run is
excluded with the reason (its stored error). A missing value is ``None``, never zero.

``candidate_table_from_store`` also reads the counted samples behind each model's figures
(``MeasuredSamples``), which ``core.decide.noise`` resamples to tell a lead from measurement noise. They
stay out of ``as_dict`` (a decision record keeps figures, intervals and run ids, not thousands of samples).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from core.models.specs import model_specs
from store import Store, queries
from store.queries import produced_results
from store.records import ModelInfo, ModelResult, Run


@dataclass(frozen=True)
class Candidate:
    """One model's evidence, from one run (see the module docstring for which run)."""

    ref: str
    run_id: str | None = None
    run_created_at: str | None = None
    latency_mean_s: float | None = None
    latency_p95_s: float | None = None
    latency_ci95: tuple[float, float] | None = None
    latency_p95_ci95: tuple[float, float] | None = None  # distribution-free; needs 72 samples
    throughput_tps: float | None = None
    throughput_ci95: tuple[float, float] | None = None
    n_samples: int = 0  # counted samples behind the latency figures
    throughput_n: int | None = None  # samples behind tokens/s (fewer when some rates were left out)
    memory_mb: float | None = None
    memory_source: str | None = None  # "peak" or "load"
    disk_mb: float | None = None
    disk_source: str | None = None  # "metadata" (the user's model details) or "run" (measured)
    license: str | None = None
    license_source: str | None = None  # "model details" (typed or models.json) or "catalog" (the source listed it)
    quality: Mapping[str, Any] | None = None  # {mean, ci95_low, ci95_high, n}
    device: str | None = None
    warnings: tuple[str, ...] = ()

    def latency(self, stat: str) -> float | None:
        return self.latency_p95_s if stat == "p95" else self.latency_mean_s

    def quality_mean(self) -> float | None:
        return None if not self.quality else self.quality.get("mean")

    def evidence(self, key: str, latency_stat: str) -> dict[str, Any]:
        """What stands behind criterion ``key``'s figure: ``{n, ci95, source}`` (``ci95`` None when there is
        no interval: a single measurement, too few samples, a p95 of fewer than 72)."""
        if key == "latency":
            ci95 = self.latency_ci95 if latency_stat == "mean" else self.latency_p95_ci95
            return {"n": self.n_samples, "ci95": ci95, "source": "measured"}
        if key == "throughput":
            n = self.throughput_n if self.throughput_n is not None else self.n_samples
            return {"n": n, "ci95": self.throughput_ci95, "source": "measured"}
        if key == "quality":
            q = self.quality or {}
            ci = (q["ci95_low"], q["ci95_high"]) if q.get("ci95_low") is not None and q.get("ci95_high") is not None \
                else None
            return {"n": q.get("n"), "ci95": ci, "source": "graded" if q else None}
        source = {"memory": self.memory_source, "footprint": self.disk_source, "license": self.license_source}[key]
        return {"n": 1 if source in ("peak", "load", "run") else None, "ci95": None, "source": source}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Candidate:
        fixed = dict(data)
        for key in ("latency_ci95", "latency_p95_ci95", "throughput_ci95"):
            fixed[key] = None if data.get(key) is None else tuple(data[key])
        fixed["warnings"] = tuple(data.get("warnings", ()))
        return cls(**fixed)


@dataclass(frozen=True)
class MeasuredSamples:
    """The counted samples one model's speed figures were computed from (as ``summarize_samples`` counted
    them: no warm-ups, no failures, the run's lowest concurrency)."""

    e2e_s: tuple[float, ...] = ()
    decode_tps: tuple[float, ...] = ()  # a rate the runner flagged ``decode_bunched`` is left out

    def __bool__(self) -> bool:
        return bool(self.e2e_s or self.decode_tps)


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
    samples: Mapping[str, MeasuredSamples] = field(default_factory=dict, compare=False)  # ref -> samples

    def as_dict(self) -> dict[str, Any]:
        """Plain data for the record, without the raw ``samples``."""
        plain = asdict(replace(self, samples={}))
        del plain["samples"]
        return plain

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CandidateTable:
        return cls(candidates=tuple(Candidate.from_dict(c) for c in data["candidates"]),
                   unavailable=tuple(Exclusion(e["ref"], tuple(e["reasons"])) for e in data.get("unavailable", ())),
                   runs=tuple(data.get("runs", ())), notes=tuple(data.get("notes", ())))


def _usable(info: ModelResult) -> bool:
    return produced_results(info) and ((info.summary or {}).get("n_counted") or 0) > 0


def _ci(metric: Mapping[str, Any], prefix: str = "") -> tuple[float, float] | None:
    low, high = metric.get(f"{prefix}ci95_low"), metric.get(f"{prefix}ci95_high")
    return None if low is None or high is None else (low, high)


def _candidate(ref: str, run: Run, spec: ModelInfo | None, quality: Mapping[str, Any] | None) -> Candidate:
    """Figures of ``ref`` in ``run``: memory is the peak added (load-time growth if no peak was sampled).
    License and disk size: what the user gave (``spec``: typed on the Decide page or imported from models.json)
    first, else what the source's catalog listed and the run measured, so nobody retypes what is known."""
    info = run.models[ref]
    summary = info.summary or {}  # a free-form object (``core.benchmark.metrics.summarize_samples``), read as a dict
    e2e, tps = summary["metrics"]["e2e_s"], summary["metrics"]["decode_tps"]
    peak, load = info.rss_peak_mb, info.rss_load_mb
    disk, size = info.disk_mb, spec.size_mb if spec else None
    typed_license = spec.license if spec else None
    warnings = [w for w in (e2e.get("warning"),) if w]
    if summary.get("tokens_estimated"):
        warnings.append("token counts estimated")
    return Candidate(
        ref=ref, run_id=run.run_id, run_created_at=run.created_at,
        latency_mean_s=e2e.get("mean"), latency_p95_s=e2e.get("p95"), latency_ci95=_ci(e2e),
        latency_p95_ci95=_ci(e2e, "p95_"),
        throughput_tps=tps.get("mean"), throughput_ci95=_ci(tps), n_samples=summary.get("n_counted") or 0,
        throughput_n=tps.get("n"),
        memory_mb=peak if peak is not None else load,
        memory_source="peak" if peak is not None else ("load" if load is not None else None),
        disk_mb=size if size is not None else disk,
        disk_source="metadata" if size is not None else ("run" if disk is not None else None),
        license=typed_license or info.license,
        license_source="model details" if typed_license else ("catalog" if info.license else None),
        quality=dict(quality) if quality else None,
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
    runs = queries.get_runs(store, run_ids)
    table = candidate_table(runs, model_specs(store), quality, choose=choose)
    by_id = {r.run_id: r for r in runs}
    samples = {}
    for run_id in sorted({c.run_id for c in table.candidates if c.run_id}):
        stored = queries.run_samples(store, run_id)
        for c in (c for c in table.candidates if c.run_id == run_id):
            samples[c.ref] = measured_samples(stored, c.ref, by_id[run_id])
    return replace(table, samples=samples)


def measured_samples(stored: Sequence[Mapping[str, Any]], ref: str, run: Run) -> MeasuredSamples:
    """The counted samples of ``ref`` in ``run`` at the run's lowest concurrency, as its summary counted them."""
    level = min(run.settings.get("concurrency") or [1])
    counted = queries.counted_samples(s for s in stored if s.get("model_ref") == ref
                                      and s.get("concurrency", 1) == level)
    return MeasuredSamples(
        e2e_s=tuple(s["e2e_s"] for s in counted if s.get("e2e_s") is not None),
        decode_tps=tuple(s["decode_tps"] for s in counted if s.get("decode_tps") is not None
                         and not s.get("decode_bunched")))
