"""A run against a baseline run: each model's typical per-prompt change, metric by metric, with a verdict.

Paired over the prompts both runs measured (``core.compare.pairing``). The verdict is ``worse``, ``better``
or ``within noise``: a change whose 95% interval includes no change, or that is smaller than
``core.compare.ratios.MIN_CHANGE`` (drift from heat or background load), is not called a regression.
With no shared prompt there is no verdict, and the row's ``note`` says why.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from core.compare.groups import LOWER_IS_BETTER, SPEED_METRICS, Group
from core.compare.pairing import pair
from core.compare.ratios import Ratio

WORSE, BETTER, WITHIN_NOISE, NOT_COMPARED = "worse", "better", "within noise", "not compared"
CHANGE_COLUMNS = ["model", "device", "baseline_run", "run", "metric", "baseline_p50", "p50", "n_baseline", "n",
                  "shared_prompts", "change_pct", "ci95_low_pct", "ci95_high_pct", "verdict", "note"]


def _verdict(ratio: Ratio | None, metric: str) -> str:
    if ratio is None:
        return NOT_COMPARED
    if not ratio.clear:
        return WITHIN_NOISE
    worse = ratio.value > 1 if LOWER_IS_BETTER[metric] else ratio.value < 1
    return WORSE if worse else BETTER


def _pct(value: float | None) -> float | None:
    return None if value is None else (value - 1) * 100


def baseline_change_frame(
    baseline: Iterable[Group], candidates: Iterable[Group], metrics: Iterable[str] = SPEED_METRICS
) -> pd.DataFrame:
    """Each candidate group against the baseline group of the same model and device, metric by metric.

    ``change_pct`` is the typical per-prompt change (+ = the number went up, see ``paired_ratio``) over
    ``shared_prompts`` prompts, with its 95% interval; ``verdict`` is ``worse``, ``better``, ``within noise``
    (the interval includes no change, or the change is under ``MIN_CHANGE``) or ``not compared`` (``note``
    says why).
    """
    base_by_key = {(g.model_ref, g.device): g for g in baseline}
    rows = []
    for cand in candidates:
        base = base_by_key.get((cand.model_ref, cand.device))
        if base is None or base.run_id == cand.run_id:
            continue
        for metric in metrics:
            paired = pair([base], [cand], metric)
            cols = paired.columns()
            rows.append({
                "model": cand.model_ref, "device": cand.device, "baseline_run": base.run_id, "run": cand.run_id,
                "metric": metric, "baseline_p50": base.metric(metric)["p50"], "p50": cand.metric(metric)["p50"],
                "n_baseline": len(base.values(metric)), "n": len(cand.values(metric)),
                "shared_prompts": cols["shared_prompts"], "change_pct": _pct(cols["ratio"]),
                "ci95_low_pct": _pct(cols["ci95_low"]), "ci95_high_pct": _pct(cols["ci95_high"]),
                "verdict": _verdict(paired.ratio, metric), "note": paired.note,
            })
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS)
