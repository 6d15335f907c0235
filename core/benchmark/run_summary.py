"""Tables of benchmark runs: one row per model, figures from ``core.benchmark.metrics`` with counts and caveats.

Pure functions (data in, DataFrame out) shared by the pages and the CLI, so both show the same numbers.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pandas as pd

from core.benchmark.metrics import summarize_samples
from store import queries
from store.records import ModelResult, Run


def _fmt_ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _ci(metric: dict[str, Any], digits: int = 1) -> str:
    low, high = metric.get("ci95_low"), metric.get("ci95_high")
    return "" if low is None or high is None else f"{low:.{digits}f} – {high:.{digits}f}"


def samples_by_model(samples: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = defaultdict(list)
    for sample in samples:
        grouped[sample["model_ref"]].append(sample)
    return grouped


def _lowest_level(samples: list[dict]) -> list[dict]:
    """Summaries describe one concurrency level (the lowest run) so load does not blur latency."""
    if not samples:
        return samples
    level = min(s.get("concurrency", 1) for s in samples)
    return [s for s in samples if s.get("concurrency", 1) == level]


def _model_order(run: Run, grouped: dict[str, list[dict]]) -> list[str]:
    """The run's models in the order the user listed them (probes have no list: the sampled ones)."""
    return run.settings.get("models", list(grouped))


def run_summary_frame(run: Run, samples: list[dict]) -> pd.DataFrame:
    """One row per model of the run, in the run's order, including models with no samples yet."""
    grouped = samples_by_model(samples)
    rows = []
    for ref in _model_order(run, grouped):
        info = run.models.get(ref) or ModelResult(status="queued")
        summary = summarize_samples(_lowest_level(grouped.get(ref, [])))
        m = summary["metrics"]
        ttft, e2e, tps = m["ttft_s"], m["e2e_s"], m["decode_tps"]
        notes = [w for w in {ttft.get("warning")} if w]
        if summary["tokens_estimated"]:
            notes.append("token counts estimated")
        if info.gpu_fallback_suspected:
            notes.append("asked for GPU but no GPU memory was used: CPU fallback?")
        if info.error:
            notes.append(info.error)
        rows.append({
            "model": ref,
            "status": info.status,
            "device": info.device or "",
            "provider": info.execution_provider or "",
            "n": summary["n_counted"],
            "errors": summary["n_errors"],
            "TTFT p50 (ms)": _fmt_ms(ttft["p50"]),
            "TTFT p95 (ms)": _fmt_ms(ttft["p95"]),
            "latency mean (s)": _round(e2e["mean"]),
            "latency p50 (s)": _round(e2e["p50"]),
            "latency p95 (s)": _round(e2e["p95"]),
            "latency p99 (s)": _round(e2e["p99"]),
            "tokens/s mean": _round(tps["mean"], 1),
            "tokens/s 95% CI": _ci(tps),
            "load (s)": _round(info.load_s),
            "first request (s)": _round(info.first_request_s),
            "memory added (MB)": _round(info.rss_load_mb, 0),
            "peak added (MB)": _round(info.rss_peak_mb, 0),
            "disk (MB)": _round(info.disk_mb, 1),
            "energy/token (J)": _round(info.energy_j_per_token, 4),
            "notes": "; ".join(notes),
        })
    return pd.DataFrame(rows)


def runs_frame(runs: list[Run]) -> pd.DataFrame:
    """Stored benchmark runs, newest first, for picking one."""
    rows = [
        {
            "run": r.run_id,
            "created": r.created_at,
            "status": r.status,
            "prompt set": r.prompt_set.name,
            "models": len(r.models),
            "rounds": r.settings.get("rounds"),
        }
        for r in queries.newest_first(runs)
    ]
    return pd.DataFrame(rows, columns=["run", "created", "status", "prompt set", "models", "rounds"])


_DETAIL_METRICS = {"ttft_s": "TTFT (s)", "ttfa_s": "first answer token (s)", "e2e_s": "latency (s)",
                   "decode_tps": "tokens/s", "itl_mean_s": "inter-token gap (s)"}


def metric_details_frame(run: Run, samples: list[dict]) -> pd.DataFrame:
    """Every summary statistic per model and metric, plus SLO pass rates: the full evidence behind the table."""
    grouped = samples_by_model(samples)
    rows = []
    for ref in _model_order(run, grouped):
        summary = summarize_samples(_lowest_level(grouped.get(ref, [])))
        for metric, label in _DETAIL_METRICS.items():
            m = summary["metrics"][metric]
            rows.append({"model": ref, "metric": label, "n": m["n"],
                         **{k: _round(m[k], 4) for k in ("mean", "p50", "p90", "p95", "p99", "std", "min", "max")},
                         "CV %": _round(m["cv_pct"], 1), "95% CI of mean": _ci(m, 4), "warning": m["warning"] or ""})
        info = run.models.get(ref)
        for metric, rate in ((info.slo_pass_rate if info else None) or {}).items():
            limit = (run.settings.get("slo") or {}).get(metric)
            rows.append({"model": ref, "metric": f"share with {_DETAIL_METRICS.get(metric, metric)} <= {limit}",
                         "mean": None if rate is None else round(rate, 3)})
    return pd.DataFrame(rows)
