"""With and without a GPU: each device's speed-up over the baseline device, model by model, or why there is none.

Runs of the same model on the same device are pooled; the baseline is the CPU when there is one (the
question is "what does a GPU buy me"). The two devices are paired over the prompts both measured
(``core.compare.pairing``): a GPU run over longer prompts must not look slower for it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import pandas as pd

from core.compare.groups import SPEED_METRICS, Group
from core.compare.pairing import advantage
from core.compare.runs import UNKNOWN_DEVICE

CPU = "CPU"
SPEEDUP_COLUMNS = ["model", "metric", "baseline_device", "device", "n_baseline", "n", "shared_prompts", "speedup",
                   "ci95_low", "ci95_high", "beyond_noise", "tie", "note"]

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


def device_speedup_frame(groups: Iterable[Group], metrics: Iterable[str] = SPEED_METRICS) -> pd.DataFrame:
    """For each model run on two or more devices: each device's speed-up over the baseline device.

    Columns: model, metric, baseline_device, device, n_baseline and n (requests on each device),
    shared_prompts (what the paired speed-up rests on), speedup (> 1 = faster on ``device``), ci95_low,
    ci95_high, beyond_noise, tie (within noise or negligible), note (why there is no speed-up).
    Empty when no model has a second device (see ``device_gap_message``).
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
                rows.append({
                    "model": model, "metric": metric, "baseline_device": base_device, "device": device,
                    "n_baseline": sum(len(g.values(metric)) for g in by_device[base_device]),
                    "n": sum(len(g.values(metric)) for g in device_groups),
                    **advantage(by_device[base_device], device_groups, metric).columns("speedup"),
                })
    return pd.DataFrame(rows, columns=SPEEDUP_COLUMNS)


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
