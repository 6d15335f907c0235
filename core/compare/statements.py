"""The comparisons in words, with their intervals: what the product owner came to the Compare page for.

"A is 1.9x faster end to end than B (95% CI 1.7-2.1, over 12 shared prompts in run R on CPU)"; a
difference inside noise (the interval includes no difference) or under ``MIN_CHANGE`` is a
"statistical tie"; a comparison with too few shared prompts says why. Sentences are plain text: model ids
and run ids are untrusted, so the page shows them through ``components.safe_text`` and the CLI prints them
as they are. Each function reads one frame (``head_to_head_frame``, ``device_speedup_frame``,
``baseline_change_frame``), so the sentences and the tables never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from core.compare.baseline import BETTER, NOT_COMPARED, WORSE
from core.compare.ratios import MIN_CHANGE
from core.compare.runs import NO_DEVICE, UNKNOWN_DEVICE

TOPIC = {"e2e_s": "end-to-end latency", "ttft_s": "time to first token", "decode_tps": "tokens/s"}
FASTER = {"e2e_s": "faster end to end", "ttft_s": "faster to first token"}
SLOWER = {"e2e_s": "slower end to end", "ttft_s": "slower to first token"}


def times(value: float) -> str:
    """A ratio as people read it: 12x, 2.1x, 1.04x (two decimals only near 1, where they matter)."""
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}" if value >= 1.1 else f"{value:.2f}"


def _on(device: str) -> str:
    """`` on CPU``; nothing when a device is unknown (an endpoint's), rather than "on unknown" or "on CPU and
    device not reported"."""
    return "" if device == UNKNOWN_DEVICE or NO_DEVICE in device else f" on {device}"


def _interval(row: Mapping[str, Any], where: str) -> str:
    return (f"95% CI {times(row['ci95_low'])}-{times(row['ci95_high'])}, over {row['shared_prompts']} "
            f"shared prompts{where}")


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows with NaN read as ``None`` (pandas turns a missing ratio into NaN)."""
    return [{k: None if isinstance(v, float) and pd.isna(v) else v for k, v in row.items()}
            for row in frame.to_dict("records")]


def head_to_head_statements(frame: pd.DataFrame) -> list[str]:
    """One sentence per pair of models and metric (``core.compare.head_to_head.head_to_head_frame``)."""
    sentences = []
    for r in _rows(frame):
        where = f" in run {r['run']}{_on(r['device'])}"
        a, b, metric = r["model"], r["rival"], r["metric"]
        if r["advantage"] is None:
            sentences.append(f"{a} and {b} cannot be compared on {TOPIC[metric]}{where}: {r['note']}.")
        elif r["tie"]:
            sentences.append(f"Statistical tie between {a} and {b} on {TOPIC[metric]} ({times(r['advantage'])}x, "
                             f"{_interval(r, where)}).")
        elif metric in FASTER:
            sentences.append(f"{a} is {times(r['advantage'])}x {FASTER[metric]} than {b} "
                             f"({_interval(r, where)}).")
        else:
            sentences.append(f"{a} generates {times(r['advantage'])}x the tokens/s of {b} "
                             f"({_interval(r, where)}).")
    return sentences


AS_FAST = {"e2e_s": "end to end", "ttft_s": "to first token", "decode_tps": "in tokens/s"}


def _requests(row: Mapping[str, Any]) -> str:
    n, base = row["n"], row["n_baseline"]
    return f"{n} requests each" if n == base else f"{n} and {base} requests"


def _speedup_interval(row: Mapping[str, Any]) -> str:
    return (f"95% CI {times(row['ci95_low'])}-{times(row['ci95_high'])}x, {_requests(row)} over "
            f"{row['shared_prompts']} shared prompts")


def device_statements(frame: pd.DataFrame) -> list[str]:
    """One sentence per family, setup and metric (``core.compare.devices.device_speedup_frame``): "qwen on
    gpu-box, CUDA is 3.1x as fast in tokens/s as on laptop, CPU (95% CI 2.9-3.3x, 30 requests each over 10
    shared prompts)"."""
    sentences = []
    for r in _rows(frame):
        family, setup, base, metric = r["family"], r["setup"], r["baseline_setup"], r["metric"]
        if r["speedup"] is None:
            sentences.append(f"{family} on {setup} cannot be compared with {base} on {TOPIC[metric]}: {r['note']}.")
        elif r["tie"]:
            sentences.append(f"Statistical tie for {family} between {setup} and {base} on {TOPIC[metric]} "
                             f"({times(r['speedup'])}x, {_speedup_interval(r)}).")
        elif r["speedup"] >= 1:
            sentences.append(f"{family} on {setup} is {times(r['speedup'])}x as fast {AS_FAST[metric]} as on "
                             f"{base} ({_speedup_interval(r)}).")
        else:
            slower = {**r, "ci95_low": 1 / r["ci95_high"], "ci95_high": 1 / r["ci95_low"]}
            sentences.append(f"{family} on {setup} is {times(1 / r['speedup'])}x slower {AS_FAST[metric]} than on "
                             f"{base} ({_speedup_interval(slower)}).")
    return sentences


def _size(value: float) -> str:
    size = abs(value)
    return f"{size:.0f}" if size >= 10 else f"{size:.1f}"


def _pct(value: float) -> str:
    return f"{_size(value)}%"


def _change_words(metric: str) -> tuple[str, str]:
    """How a rise and a fall of the metric read: (rise, fall)."""
    if metric in FASTER:
        return SLOWER[metric], FASTER[metric]
    return "more tokens/s", "fewer tokens/s"


def _change_interval(low: float, high: float, metric: str) -> str:
    rise, fall = (w.split(" ")[0] for w in _change_words(metric))
    if low >= 0:
        return f"{_size(low)}-{_pct(high)}"
    if high <= 0:
        return f"{_size(high)}-{_pct(low)}"
    return f"{_pct(low)} {fall} to {_pct(high)} {rise}"


VERDICT_WORDS = {WORSE: "worse beyond noise", BETTER: "better beyond noise"}


def baseline_statements(frame: pd.DataFrame) -> list[str]:
    """One sentence per model, run and metric against the baseline run (``baseline_change_frame``)."""
    sentences = []
    for r in _rows(frame):
        model, metric, base = r["model"], r["metric"], r["baseline_run"]
        where = f"; run {r['run']}{_on(r['device'])}"
        if r["verdict"] == NOT_COMPARED:
            sentences.append(f"{model} (run {r['run']}{_on(r['device'])}) cannot be compared with baseline run "
                             f"{base}: {r['note']}.")
            continue
        change = r["change_pct"]
        rise, fall = _change_words(metric)
        words = rise if change >= 0 else fall
        verb = "is" if metric in FASTER else "generates"
        if r["verdict"] in VERDICT_WORDS:
            verdict = VERDICT_WORDS[r["verdict"]]
        elif r["ci95_low_pct"] > 0 or r["ci95_high_pct"] < 0:
            verdict = f"negligible (under {MIN_CHANGE:.0%}), a tie"
        else:
            verdict = "within noise, a tie"
        sentences.append(
            f"{model} {verb} {_pct(change)} {words} than in baseline run {base} (95% CI "
            f"{_change_interval(r['ci95_low_pct'], r['ci95_high_pct'], metric)}, over {r['shared_prompts']} "
            f"shared prompts{where}): {verdict}.")
    return sentences
