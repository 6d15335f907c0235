"""Compare stored benchmark runs: which runs and models to look at, and what differs between them.

Pure functions over stored runs (``store.records.Run``) and their samples (plain dicts, see ``store.records``):
the Compare page, its tests and any later report compute the same numbers. Each model's own figures
(percentiles, mean, 95% interval) come from ``core.benchmark.metrics``; this module only adds what relates two
groups of samples to each other: a speed-up ratio between devices and a paired change against a
baseline run, both with seeded bootstrap intervals so the same data always gives the same verdict.

A *group* is one model in one run on one device: the unit every chart shows. Figures describe the
run's lowest concurrency level, as the run summary does, so load never blurs latency.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from core.benchmark.metrics import percentile_interval, resampled_means, summarize_samples
from store.queries import counted_samples
from store.records import ModelResult, Run

UNKNOWN_DEVICE = "unknown"
CPU = "CPU"
SPEED_METRICS: tuple[str, ...] = ("ttft_s", "e2e_s", "decode_tps")
METRIC_LABELS: dict[str, str] = {
    "ttft_s": "Time to first token (s)",
    "e2e_s": "End-to-end latency (s)",
    "decode_tps": "Tokens/s",
}
LOWER_IS_BETTER: dict[str, bool] = {"ttft_s": True, "e2e_s": True, "decode_tps": False}
MIN_PAIRED_PROMPTS = 2
MIN_CHANGE = 0.03  # a run-to-run change smaller than this is drift (heat, background load), not a regression
N_BOOT = 2000


# ------------------------------------------------------------------ runs and filters


def device_of(info: ModelResult) -> str:
    """A model entry's device in one spelling (engines report ``cpu`` or ``GPU``)."""
    return (info.device or "").upper() or UNKNOWN_DEVICE


def run_devices(run: Run) -> set[str]:
    return {device_of(info) for info in run.models.values()}


def run_date(run: Run) -> date:
    return datetime.fromisoformat(run.created_at).date()


def prompt_set_name(run: Run) -> str:
    return run.prompt_set.name


@dataclass(frozen=True)
class RunFilter:
    """What the user narrowed the run list to; an empty set means "any"."""

    prompt_sets: frozenset[str] = frozenset()
    devices: frozenset[str] = frozenset()
    start: date | None = None
    end: date | None = None

    def matches(self, run: Run) -> bool:
        day = run_date(run)
        return (
            (not self.prompt_sets or prompt_set_name(run) in self.prompt_sets)
            and (not self.devices or bool(run_devices(run) & self.devices))
            and (self.start is None or day >= self.start)
            and (self.end is None or day <= self.end)
        )


def model_refs(runs: Iterable[Run]) -> list[str]:
    """Every model of the runs, in order of first appearance (so colours do not shuffle)."""
    seen: dict[str, None] = {}
    for run in runs:
        seen.update(dict.fromkeys(run.models))
    return list(seen)


def run_label(run: Run) -> str:
    """How a run is named in pickers: id, date, prompt set, devices."""
    devices = ", ".join(sorted(run_devices(run)))
    return f"{run.run_id} · {run.created_at[:16]} · {prompt_set_name(run)} · {devices}"


# ------------------------------------------------------------------ groups


@dataclass(frozen=True)
class Group:
    """One model in one run on one device, with its lowest-concurrency samples and their summary."""

    run_id: str
    model_ref: str
    device: str
    provider: str
    created_at: str
    info: ModelResult
    samples: list[dict] = field(repr=False)
    summary: Mapping[str, Any] = field(repr=False)

    @property
    def key(self) -> str:
        return f"{self.model_ref} | {self.device} | {self.run_id}"

    @property
    def n(self) -> int:
        return int(self.summary["n_counted"])

    def metric(self, name: str) -> Mapping[str, Any]:
        return self.summary["metrics"][name]

    def values(self, name: str) -> list[float]:
        """The counted samples' measured values of one metric (missing ones left out)."""
        return [s[name] for s in counted_samples(self.samples) if s.get(name) is not None]


def _primary(run: Run, samples: list[dict]) -> list[dict]:
    """The samples of the run's lowest concurrency level, chosen exactly as the runner chose them."""
    level = min(run.settings.get("concurrency") or [1])
    return [s for s in samples if s.get("concurrency", 1) == level]


def _summary(run: Run, info: ModelResult, samples: list[dict]) -> Mapping[str, Any]:
    """The runner's stored summary when it has one, else the same ``summarize_samples`` call.

    The runner stores ``summarize_samples`` of exactly these samples with the run's seed; reusing it
    matters because its bootstrap costs about 0.25 s per model at 1,000 samples.
    """
    stored = info.summary
    if stored is not None and "metrics" in stored and stored.get("n_samples") == len(samples):
        return stored
    return summarize_samples(samples, seed=run.settings.get("seed") or 0)


def build_groups(runs: Iterable[Run], samples_by_run: Mapping[str, list[dict]], models: Collection[str]) -> list[Group]:
    """One group per (run, chosen model) that has a record in the run, in run then model order."""
    groups = []
    for run in runs:
        by_model: dict[str, list[dict]] = defaultdict(list)
        for sample in samples_by_run.get(run.run_id, []):
            by_model[sample["model_ref"]].append(sample)
        for ref, info in run.models.items():
            if ref not in models:
                continue
            samples = _primary(run, by_model.get(ref, []))
            groups.append(Group(
                run_id=run.run_id, model_ref=ref, device=device_of(info),
                provider=info.execution_provider or "", created_at=run.created_at,
                info=info, samples=samples, summary=_summary(run, info, samples),
            ))
    return groups


def _ident(group: Group) -> dict[str, Any]:
    return {"group": group.key, "model": group.model_ref, "device": group.device, "provider": group.provider,
            "run": group.run_id, "n": group.n}


def summary_frame(groups: Iterable[Group]) -> pd.DataFrame:
    """One row per group: the figures every speed and footprint chart shows (and exports as CSV)."""
    rows = []
    for g in groups:
        ttft, e2e, tps = g.metric("ttft_s"), g.metric("e2e_s"), g.metric("decode_tps")
        rows.append({
            **_ident(g),
            "errors": g.summary["n_errors"],
            "ttft_p50_s": ttft["p50"], "ttft_p95_s": ttft["p95"],
            "e2e_p50_s": e2e["p50"], "e2e_p95_s": e2e["p95"],
            "tps_mean": tps["mean"], "tps_ci95_low": tps["ci95_low"], "tps_ci95_high": tps["ci95_high"],
            "tps_n": tps["n"],
            "rss_load_mb": g.info.rss_load_mb, "rss_peak_mb": g.info.rss_peak_mb, "disk_mb": g.info.disk_mb,
            "warning": ttft.get("warning") or "",
        })
    return pd.DataFrame(rows)


def distribution_frame(groups: Iterable[Group], metric: str) -> pd.DataFrame:
    """Every counted sample's value of one metric, tagged with its group (long format)."""
    rows = [{**_ident(g), "value": value} for g in groups for value in g.values(metric)]
    return pd.DataFrame(rows, columns=["group", "model", "device", "provider", "run", "n", "value"])


# ------------------------------------------------------------------ bootstrap


def _bootstrap(draw: Callable[[np.random.Generator], np.ndarray], seed: int) -> tuple[float, float]:
    """Percentile-bootstrap 95% interval of the statistic ``draw`` computes for ``N_BOOT`` resamples."""
    return percentile_interval(draw(np.random.default_rng(seed)))


def _resampled_means(rng: np.random.Generator, data: np.ndarray) -> np.ndarray:
    return resampled_means(rng, data, N_BOOT)


@dataclass(frozen=True)
class Ratio:
    """A ratio with its 95% interval; ``beyond_noise`` when the interval excludes 1."""

    value: float
    ci95_low: float
    ci95_high: float

    @property
    def beyond_noise(self) -> bool:
        return self.ci95_low > 1 or self.ci95_high < 1


def speedup(baseline: Iterable[float], other: Iterable[float], *, lower_is_better: bool, seed: int = 0) -> Ratio | None:
    """How many times faster ``other`` is than ``baseline`` (>1 = faster), by ratio of means.

    Latency: baseline mean / other mean; tokens/s: other mean / baseline mean. The two groups are
    independent (different devices, different requests), so each is resampled on its own.
    ``None`` when either side has fewer than two values or a mean of zero.
    """
    base, oth = np.asarray(list(baseline), dtype=float), np.asarray(list(other), dtype=float)
    if base.size < 2 or oth.size < 2 or base.mean() == 0 or oth.mean() == 0:
        return None
    num, den = (base, oth) if lower_is_better else (oth, base)

    def draw(rng: np.random.Generator) -> np.ndarray:
        return _resampled_means(rng, num) / _resampled_means(rng, den)

    low, high = _bootstrap(draw, seed)
    return Ratio(float(num.mean() / den.mean()), low, high)


def paired_ratio(
    baseline: Mapping[str, Sequence[float]], candidate: Mapping[str, Sequence[float]], *, seed: int = 0
) -> Ratio | None:
    """Typical candidate/baseline ratio over the prompts both runs measured, with a 95% interval.

    Each prompt is compared with itself (a long answer is slow in both runs), and the per-prompt
    ratios of means are combined by geometric mean, so one slow prompt does not dominate. The prompts
    are fixed (the same set both times); what could fake a change is run-to-run noise, so the interval
    resamples the rounds within each prompt, in each run independently. Prompts with fewer than two
    positive values on either side carry no noise estimate and are skipped; ``None`` when fewer than
    ``MIN_PAIRED_PROMPTS`` prompts remain.
    """
    pairs = [(np.asarray(b, dtype=float), np.asarray(candidate[p], dtype=float))
             for p, b in baseline.items() if p in candidate]
    pairs = [(b[b > 0], c[c > 0]) for b, c in pairs]
    pairs = [(b, c) for b, c in pairs if b.size >= 2 and c.size >= 2]
    if len(pairs) < MIN_PAIRED_PROMPTS:
        return None
    point = np.mean([np.log(c.mean() / b.mean()) for b, c in pairs])

    def draw(rng: np.random.Generator) -> np.ndarray:
        return np.mean([np.log(_resampled_means(rng, c) / _resampled_means(rng, b)) for b, c in pairs], axis=0)

    low, high = _bootstrap(draw, seed)
    return Ratio(float(np.exp(point)), float(np.exp(low)), float(np.exp(high)))


# ------------------------------------------------------------------ with and without GPU


def _pooled_by_device(groups: Iterable[Group]) -> dict[str, dict[str, list[Group]]]:
    """model -> device -> groups (several runs on the same device are pooled)."""
    pooled: dict[str, dict[str, list[Group]]] = defaultdict(lambda: defaultdict(list))
    for g in groups:
        pooled[g.model_ref][g.device].append(g)
    return pooled


def _baseline_device(devices: Iterable[str]) -> str:
    """CPU when present (the question is "what does a GPU buy me"), else the first alphabetically."""
    ordered = sorted(devices)
    return CPU if CPU in ordered else ordered[0]


def _pooled_values(groups: Iterable[Group], metric: str) -> list[float]:
    return [v for g in groups for v in g.values(metric)]


def device_speedup_frame(groups: Iterable[Group], metrics: Iterable[str] = SPEED_METRICS) -> pd.DataFrame:
    """For each model run on two or more devices: each device's speed-up over the baseline device.

    Columns: model, metric, baseline_device, device, n_baseline, n, speedup, ci95_low, ci95_high,
    beyond_noise. Empty when no model has a second device (see ``device_gap_message``).
    """
    rows = []
    for model, by_device in _pooled_by_device(groups).items():
        if len(by_device) < 2:
            continue
        base_device = _baseline_device(by_device)
        for device, device_groups in sorted(by_device.items()):
            if device == base_device:
                continue
            for metric in metrics:
                base = _pooled_values(by_device[base_device], metric)
                other = _pooled_values(device_groups, metric)
                ratio = speedup(base, other, lower_is_better=LOWER_IS_BETTER[metric])
                rows.append({
                    "model": model, "metric": metric, "baseline_device": base_device, "device": device,
                    "n_baseline": len(base), "n": len(other),
                    "speedup": ratio.value if ratio else None,
                    "ci95_low": ratio.ci95_low if ratio else None,
                    "ci95_high": ratio.ci95_high if ratio else None,
                    "beyond_noise": ratio.beyond_noise if ratio else False,
                })
    return pd.DataFrame(rows, columns=["model", "metric", "baseline_device", "device", "n_baseline", "n",
                                       "speedup", "ci95_low", "ci95_high", "beyond_noise"])


def device_gap_message(groups: list[Group]) -> str | None:
    """Why there is nothing to compare across devices, in words a product owner can act on; else ``None``."""
    devices = sorted({g.device for g in groups})
    if any(len(by_device) >= 2 for by_device in _pooled_by_device(groups).values()):
        return None
    if not devices:
        return "Select runs and models to compare devices."
    if len(devices) == 1:
        only = devices[0]
        if only == UNKNOWN_DEVICE:
            return ("The selected runs did not record a device; run the model again with a current "
                    "Pickwise, on a CPU and on a GPU machine, to compare.")
        other = "a GPU" if only == CPU else "a CPU (or another GPU)"
        return f"All selected runs ran on {only}; run the same model on {other} machine to compare."
    return (f"The selected runs used {', '.join(devices)}, but no model ran on more than one of them; "
            "run the same model on each device to compare.")


# ------------------------------------------------------------------ run against baseline


def per_prompt_values(group: Group, metric: str) -> dict[str, list[float]]:
    """Each prompt's counted values over the rounds: what a paired comparison pairs."""
    by_prompt: dict[str, list[float]] = defaultdict(list)
    for sample in counted_samples(group.samples):
        if sample.get(metric) is not None:
            by_prompt[sample["prompt_id"]].append(sample[metric])
    return dict(by_prompt)


def _verdict(ratio: Ratio | None, metric: str) -> str:
    if ratio is None:
        return f"too few data (need {MIN_PAIRED_PROMPTS} shared prompts with 2+ rounds each)"
    if not ratio.beyond_noise or abs(ratio.value - 1) < MIN_CHANGE:
        return "within noise"
    worse = ratio.value > 1 if LOWER_IS_BETTER[metric] else ratio.value < 1
    return "worse" if worse else "better"


def baseline_change_frame(
    baseline: Iterable[Group], candidates: Iterable[Group], metrics: Iterable[str] = SPEED_METRICS
) -> pd.DataFrame:
    """Each candidate group against the baseline group of the same model and device, metric by metric.

    ``change_pct`` is the typical per-prompt change (+ = the number went up, see ``paired_ratio``);
    ``verdict`` says whether that is ``worse``, ``better`` or ``within noise`` (the 95% interval
    includes no change, or the change is under ``MIN_CHANGE``).
    """
    base_by_key = {(g.model_ref, g.device): g for g in baseline}
    rows = []
    for cand in candidates:
        base = base_by_key.get((cand.model_ref, cand.device))
        if base is None or base.run_id == cand.run_id:
            continue
        for metric in metrics:
            ratio = paired_ratio(per_prompt_values(base, metric), per_prompt_values(cand, metric))
            rows.append({
                "model": cand.model_ref, "device": cand.device, "baseline_run": base.run_id, "run": cand.run_id,
                "metric": metric, "baseline_p50": base.metric(metric)["p50"], "p50": cand.metric(metric)["p50"],
                "n_baseline": base.n, "n": cand.n,
                "change_pct": (ratio.value - 1) * 100 if ratio else None,
                "ci95_low_pct": (ratio.ci95_low - 1) * 100 if ratio else None,
                "ci95_high_pct": (ratio.ci95_high - 1) * 100 if ratio else None,
                "verdict": _verdict(ratio, metric),
            })
    return pd.DataFrame(rows, columns=["model", "device", "baseline_run", "run", "metric", "baseline_p50", "p50",
                                       "n_baseline", "n", "change_pct", "ci95_low_pct", "ci95_high_pct", "verdict"])


# ------------------------------------------------------------------ responses side by side


def prompt_texts(runs: Iterable[Run]) -> dict[str, str]:
    """prompt id -> prompt text, from the prompt sets as the runs used them."""
    texts: dict[str, str] = {}
    for run in runs:
        for prompt in run.prompt_set.prompts:
            texts.setdefault(prompt.id, prompt.prompt)
    return texts


def answer_of(group: Group, prompt_id: str) -> str | None:
    """The group's answer to a prompt: its earliest counted round, else why it failed; ``None`` if never asked."""
    asked = [s for s in group.samples if s["prompt_id"] == prompt_id and not s.get("warmup")]
    if not asked:
        return None
    ok = counted_samples(asked)
    if ok:
        return min(ok, key=lambda s: s.get("round", 0)).get("text") or ""
    return f"(failed: {asked[0].get('error')})"


def _normalised(text: str | None) -> str:
    return " ".join((text or "").split())


@dataclass(frozen=True)
class PromptResponses:
    """One prompt and each group's answer (``None`` where the group did not ask it)."""

    prompt_id: str
    prompt: str
    answers: dict[str, str | None]

    @property
    def differs(self) -> bool:
        """True when the answers are not all the same text once whitespace is ignored."""
        return len({_normalised(a) for a in self.answers.values()}) > 1


def responses(
    groups: list[Group], prompts: Mapping[str, str], *, differences_only: bool = False
) -> list[PromptResponses]:
    """Per prompt, every group's answer side by side (keyed by ``Group.key``), in prompt-set order."""
    rows = [PromptResponses(pid, text, {g.key: answer_of(g, pid) for g in groups}) for pid, text in prompts.items()]
    return [r for r in rows if r.differs] if differences_only else rows
