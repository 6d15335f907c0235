"""The Compare page's figures headless, as one document: what ``cli.py compare`` prints, as JSON or text.

Keys (stable; ``None`` where a figure is missing, never NaN):

* ``runs``: ``run_id``, ``created_at``, ``prompt_set``, ``devices`` of each compared run
* ``groups``: one per model × device × run with a measured request: ``model``, ``device``, ``run``, ``n``,
  ``errors``, ``tps_n`` (rates kept: bunched ones are left out), and for each of ``ttft`` and ``e2e`` (seconds,
  suffix ``_s``) and ``tps``: its ``p50``, ``p95`` and ``mean``, each with its 95% interval
  (``ttft_p50_s``, ``ttft_p50_ci95_low_s``, ``ttft_p50_ci95_high_s``, ...; the mean's bounds are
  ``tps_ci95_low``, ``ttft_ci95_low_s``, ...)
* ``models``: two models of one run and device (``head_to_head_frame`` columns, plus ``statement``)
* ``devices``: each family's speed-ups over its baseline setup (machine, device, provider;
  ``device_speedup_frame`` columns, plus ``statement``);
  ``devices_note``: why there is none (``None`` when there is one)
* ``baseline``: ``None`` without a baseline run, else ``run`` and ``changes`` (``baseline_change_frame``
  columns, plus ``statement``)
* ``regression``: true when a model is worse than in the baseline run beyond noise
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pandas as pd

from core.compare.baseline import WORSE, baseline_change_frame
from core.compare.devices import device_gap_message, device_speedup_frame
from core.compare.groups import FIGURE_KEYS, Group, figure_key, summary_frame
from core.compare.head_to_head import head_to_head_frame
from core.compare.runs import prompt_set_name, run_devices
from core.compare.statements import baseline_statements, device_statements, head_to_head_statements
from store.records import Run

FIGURES = {"ttft": ("TTFT", ".3f", " (s)"), "e2e": ("e2e", ".3f", " (s)"), "tps": ("tokens/s", ".1f", "")}
GROUP_KEYS = ["model", "device", "run", "n", "errors", *FIGURE_KEYS, "tps_n"]


def _plain(value: Any) -> Any:
    """A JSON-ready value: NaN and pandas' missing values become ``None``, numpy numbers plain ones."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return value.item() if hasattr(value, "item") else value


def _records(frame: pd.DataFrame, sentences: Callable[[pd.DataFrame], list[str]] | None = None) -> list[dict]:
    rows = [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]
    if sentences is not None:
        for row, sentence in zip(rows, sentences(frame), strict=True):
            row["statement"] = sentence
    return rows


def compare_report(runs: list[Run], groups: list[Group], baseline_id: str | None = None) -> dict[str, Any]:
    """Everything Compare says about the measured groups of ``runs``, against ``baseline_id`` when given."""
    measured = [g for g in groups if g.n > 0]
    summary = summary_frame(measured)
    baseline = None
    if baseline_id is not None:
        changes = baseline_change_frame([g for g in measured if g.run_id == baseline_id],
                                        [g for g in measured if g.run_id != baseline_id])
        baseline = {"run": baseline_id, "changes": _records(changes, baseline_statements)}
    return {
        "runs": [{"run_id": r.run_id, "created_at": r.created_at, "prompt_set": prompt_set_name(r),
                  "devices": sorted(run_devices(r))} for r in runs],
        "groups": _records(summary[GROUP_KEYS]) if measured else [],
        "models": _records(head_to_head_frame(measured), head_to_head_statements),
        "devices": _records(device_speedup_frame(measured), device_statements),
        "devices_note": device_gap_message(measured),
        "baseline": baseline,
        "regression": bool(baseline and any(c["verdict"] == WORSE for c in baseline["changes"])),
    }


def _cell(value: Any, spec: str) -> str:
    return "n/a" if _plain(value) is None else format(value, spec)


def _with_ci(group: dict, prefix: str, stat: str) -> str:
    _, spec, _ = FIGURES[prefix]
    value = group[figure_key(prefix, stat)]
    low, high = (_plain(group[figure_key(prefix, stat, end)]) for end in ("low", "high"))
    if _plain(value) is None:
        return "n/a"
    return format(value, spec) + (" (no CI)" if low is None or high is None else f" ({low:{spec}}-{high:{spec}})")


def _groups_table(groups: list[dict]) -> str:
    rows = []
    for g in groups:
        row = {"model": g["model"], "device": g["device"], "run": g["run"], "n": str(g["n"])}
        for prefix, (label, _, unit) in FIGURES.items():
            for stat in (("mean", "p50") if prefix == "tps" else ("p50", "p95")):
                row[f"{label} {'median' if stat == 'p50' else stat}{unit}"] = _with_ci(g, prefix, stat)
        row["tokens/s n"] = str(g["tps_n"])
        rows.append(row)
    return pd.DataFrame(rows).to_string(index=False)


def report_text(report: dict[str, Any]) -> str:
    """The report as text for a terminal: the per-group table, then each comparison as a sentence."""
    lines = ["Per model, device and run (n = measured requests; each figure with its 95% CI: no CI below 5 "
             "samples or without spread, nor for a p95 below 72):", _groups_table(report["groups"]),
             "", "Models against each other (paired over the prompts both answered):"]
    lines += [f"  {m['statement']}" for m in report["models"]] or ["  only one model per run and device"]
    lines += ["", "Devices:"]
    lines += [f"  {d['statement']}" for d in report["devices"]] or [f"  {report['devices_note']}"]
    if report["baseline"] is not None:
        lines += ["", f"Against baseline run {report['baseline']['run']}:"]
        lines += [f"  {c['statement']}" for c in report["baseline"]["changes"]] or [
            "  no model of the baseline run was measured again on the same device"]
    return "\n".join(lines)
