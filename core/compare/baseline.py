"""A run against a baseline run: each model's typical per-prompt change, metric by metric, with a verdict.

The verdict is ``worse``, ``better`` or ``within noise``: a change whose 95% interval includes no change,
or that is smaller than ``MIN_CHANGE`` (drift from heat or background load), is not called a regression.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import pandas as pd

from core.compare.groups import LOWER_IS_BETTER, SPEED_METRICS, Group
from core.compare.ratios import MIN_PAIRED_PROMPTS, Ratio, paired_ratio
from store.queries import counted_samples

MIN_CHANGE = 0.03  # a run-to-run change smaller than this is drift (heat, background load), not a regression

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
