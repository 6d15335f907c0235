"""Tables of benchmark runs: one row per model, figures from ``core.benchmark.metrics`` with counts and caveats.

Pure functions (data in, DataFrame out) shared by the pages and the CLI, so both show the same numbers.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pandas as pd

from core.benchmark.empty_cells import resource_cells
from core.benchmark.metrics import MIN_SAMPLES_FOR_TAIL, summarize_samples
from core.benchmark.slo import LABELS, goodput_sentence, targets_sentence
from store import queries
from store.records import ModelResult, Run


def _fmt_ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _ci(metric: dict[str, Any], digits: int = 1, centre: str = "mean", scale: float = 1.0) -> str:
    """The 95% interval of the mean (or, with ``centre="p50"``, of the median) as ``low – high``; where there
    is none, the reason ("too few samples for an interval (n=3, need 5)")."""
    prefix = "" if centre == "mean" else "p50_"
    low, high = metric.get(f"{prefix}ci95_low"), metric.get(f"{prefix}ci95_high")
    if low is None or high is None:
        return metric.get(f"{prefix}interval_note") or ""
    return f"{low * scale:.{digits}f} – {high * scale:.{digits}f}"


def figure(metric: dict[str, Any], centre: str = "mean", digits: int = 2, scale: float = 1.0) -> str:
    """A centre with its 95% interval in one cell, ``"1.20 (1.10 – 1.35)"`` (the column's name says "95% CI", so
    the cell stays narrow and the key figures fit on the screen), or with the reason there is no interval;
    ``""`` when nothing was measured."""
    value = metric.get(centre)
    if value is None:
        return ""
    return f"{value * scale:.{digits}f} ({_ci(metric, digits, centre, scale)})"


def rate_count(metric: dict[str, Any]) -> str:
    """How many rates tokens/s rests on, and how many bunched ones were left out: ``"37 (3 bunched left out)"``."""
    left_out = metric.get("n_left_out") or 0
    return f"{metric['n']} ({left_out} bunched left out)" if left_out else str(metric["n"])


NO_TARGETS = "no targets set"


def goodput_cell(info: ModelResult | None) -> str:
    """``"50% (5 of 10 met every target)"``; ``NO_TARGETS`` when the run had none."""
    if info is None or info.goodput_n is None:
        return NO_TARGETS
    if info.goodput is None:
        return "no requests"
    return f"{info.goodput:.0%} ({info.goodput_met} of {info.goodput_n} met every target)"


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


KEY_COLUMNS = ["status", "n", "TTFT median, ms (95% CI)", "latency mean, s (95% CI)", "tokens/s mean (95% CI)",
               "tokens/s n", "errors", "goodput", "notes"]
"""What the page shows first: the key figures, each with its interval, then what went wrong."""

SUMMARY_COLUMNS = [*KEY_COLUMNS[:6], "latency p95 (s)", "tokens/s median (95% CI)", "errors", "goodput", "device",
                   "notes"]
"""The CLI's table: the key figures first, then the tail, the medians and where the model ran."""

RESOURCE_COLUMNS = ["device", "memory added (MB)", "peak added (MB)", "disk (MB)", "load (s)", "first request (s)",
                    "energy/token (J)", "provider"]
GPU_COLUMNS = ["GPU memory added (MB)", "GPU peak added (MB)", "GPU utilisation mean (%)",
               "GPU utilisation max (%)", "GPU energy (J)"]


def run_summary_frame(run: Run, samples: list[dict]) -> pd.DataFrame:
    """One row per model of the run, in the run's order, including models with no samples yet: the key
    figures first (``KEY_COLUMNS``), then every other figure (``RESOURCE_COLUMNS``, ``GPU_COLUMNS``...).

    Every centre carries its 95% interval (or the reason there is none) in its cell; ``n`` is the
    number of counted requests, ``tokens/s n`` the rates tokens/s rests on (bunched ones left out). A
    figure that could not be measured says why (``core.benchmark.empty_cells``), never a blank or a 0; how
    few samples the tails rest on is said once per table (``small_sample_notice``), not in every row."""
    grouped = samples_by_model(samples)
    rows = []
    for ref in _model_order(run, grouped):
        info = run.models.get(ref) or ModelResult(status="queued")
        summary = summarize_samples(_lowest_level(grouped.get(ref, [])))
        m = summary["metrics"]
        ttft, e2e, tps = m["ttft_s"], m["e2e_s"], m["decode_tps"]
        notes = [w for w in (tps.get("left_out_note"),) if w]
        if summary["tokens_estimated"]:
            notes.append("token counts estimated")
        if fallback := gpu_fallback_sentence(info):
            notes.append(fallback)
        if info.error:
            notes.append(info.error)
        if info.memory_note:  # what dominates the memory: the weights or the KV cache the context length sizes
            notes.append(info.memory_note)
        rows.append({
            "model": ref,
            "status": info.status,
            "n": summary["n_counted"],
            "TTFT median, ms (95% CI)": figure(ttft, "p50", 1, 1000),
            "latency mean, s (95% CI)": figure(e2e),
            "tokens/s mean (95% CI)": figure(tps, "mean", 1),
            "tokens/s n": rate_count(tps),
            "errors": summary["n_errors"],
            "goodput": goodput_cell(info),
            "notes": "; ".join(notes),
            "TTFT mean, ms (95% CI)": figure(ttft, "mean", 1, 1000),
            "TTFT p95 (ms)": _fmt_ms(ttft["p95"]),
            "latency median, s (95% CI)": figure(e2e, "p50"),
            "latency p95 (s)": _round(e2e["p95"]),
            "latency p99 (s)": _round(e2e["p99"]),
            "tokens/s median (95% CI)": figure(tps, "p50", 1),
            **resource_cells(ref, info),
        })
    return pd.DataFrame(rows)


def small_sample_notice(frame: pd.DataFrame) -> str | None:
    """One sentence for a whole summary table when its tail figures (p95, p99) rest on fewer than
    ``MIN_SAMPLES_FOR_TAIL`` requests per model: ``"p95 and p99 rest on only 18 samples per model; …"``."""
    few = sorted({int(n) for n in frame.get("n", []) if 0 < n < MIN_SAMPLES_FOR_TAIL})
    if not few:
        return None
    counts = str(few[0]) if len(few) == 1 else f"{few[0]}–{few[-1]}"
    return (f"p95 and p99 rest on only {counts} samples per model; collect at least {MIN_SAMPLES_FOR_TAIL} "
            "before trusting tail figures.")


def gpu_fallback_sentence(info: ModelResult) -> str | None:
    """Whether a GPU variant ran on the GPU, in one sentence (``core.benchmark.gpu.fallback_verdict``); runs
    recorded before that check carry only the flag."""
    if info.gpu_fallback_note:
        return info.gpu_fallback_note
    return "asked for GPU but no GPU memory was used: CPU fallback?" if info.gpu_fallback_suspected else None


def gpu_lines(run: Run) -> list[str]:
    """One line per model whose GPU use was checked: ``"foundry-local:…-cuda-gpu:4: CUDAExecutionProvider with
    1,300 MB of GPU memory added …: it ran on the GPU."``"""
    return [f"{ref}: {sentence}" for ref, info in run.models.items() if (sentence := gpu_fallback_sentence(info))]


LEVEL_COLUMNS = ["model", "concurrency", "n", "errors", "latency mean (s)", "latency p95 (s)",
                 "throughput (tokens/s)"]


def concurrency_frame(run: Run, samples: list[dict]) -> pd.DataFrame:
    """One row per model and concurrency level the run measured: its requests, latency and throughput (output
    tokens of every request at that level per wall-clock second, as the runner measured it; ``None`` when the
    level produced nothing). The summary table describes the lowest level only; this shows what load does."""
    grouped = samples_by_model(samples)
    rows = []
    for ref in _model_order(run, grouped):
        info = run.models.get(ref) or ModelResult(status="queued")
        throughput = info.throughput_by_concurrency or {}
        for level in run.settings.get("concurrency") or [1]:
            at_level = [s for s in grouped.get(ref, []) if s.get("concurrency", 1) == level]
            summary = summarize_samples(at_level)
            e2e = summary["metrics"]["e2e_s"]
            rows.append({"model": ref, "concurrency": level, "n": summary["n_counted"], "errors": summary["n_errors"],
                         "latency mean (s)": _round(e2e["mean"]), "latency p95 (s)": _round(e2e["p95"]),
                         "throughput (tokens/s)": _round(throughput.get(str(level)), 1)})
    return pd.DataFrame(rows, columns=LEVEL_COLUMNS)


def targets_lines(run: Run) -> list[str]:
    """The run's targets and each model's goodput in words, e.g. ``"fake:m: goodput 50% (5 of 10 requests met
    every target); TTFT <= 0.5 s met by 50%"``; no lines when the run had no targets."""
    slo = run.settings.get("slo") or {}
    if not slo:
        return []
    lines = [f"Targets: {targets_sentence(slo)} (failed requests miss every target)"]
    for ref, info in run.models.items():
        if info.goodput_n is None:
            continue
        sentence = goodput_sentence({"share": info.goodput, "met": info.goodput_met, "n": info.goodput_n})
        rates = ", ".join(f"{LABELS.get(metric, metric)} <= {slo[metric]:g} s met by {rate:.0%}"
                          for metric, rate in (info.slo_pass_rate or {}).items() if rate is not None and metric in slo)
        lines.append(f"{ref}: {sentence}" + (f"; {rates}" if rates else ""))
    return lines


def runs_frame(runs: list[Run], progress: dict[str, str] | None = None) -> pd.DataFrame:
    """Stored benchmark runs, newest first, for picking one; ``progress``: ``done/total`` of the runs still
    going, by run id (their job's figure, so the table agrees with the progress bar and the sidebar)."""
    progress = progress or {}
    rows = [
        {
            "run": r.run_id,
            "created": r.created_at,
            "status": r.status,
            "progress": progress.get(r.run_id, ""),
            "prompt set": r.prompt_set.name,
            "models": len(r.models),
            "rounds": r.settings.get("rounds"),
        }
        for r in queries.newest_first(runs)
    ]
    return pd.DataFrame(rows, columns=["run", "created", "status", "progress", "prompt set", "models", "rounds"])


_DETAIL_METRICS = {"ttft_s": "TTFT (s)", "ttfa_s": "first answer token (s)", "e2e_s": "latency (s)",
                   "decode_tps": "tokens/s", "itl_mean_s": "inter-token gap (s)"}


def metric_details_frame(run: Run, samples: list[dict]) -> pd.DataFrame:
    """Every summary statistic per model and metric, with both centres' intervals and what was left out,
    plus each target's pass rate and goodput: the full evidence behind the table."""
    grouped = samples_by_model(samples)
    rows = []
    for ref in _model_order(run, grouped):
        summary = summarize_samples(_lowest_level(grouped.get(ref, [])))
        for metric, label in _DETAIL_METRICS.items():
            m = summary["metrics"][metric]
            rows.append({"model": ref, "metric": label, "n": m["n"],
                         **{k: _round(m[k], 4) for k in ("mean", "p50", "p90", "p95", "p99", "std", "min", "max")},
                         "CV %": _round(m["cv_pct"], 1), "95% CI of mean": _ci(m, 4),
                         "95% CI of median": _ci(m, 4, "p50"), "left out": m.get("n_left_out") or 0,
                         "warning": "; ".join(w for w in (m["warning"], m.get("left_out_note")) if w)})
        info = run.models.get(ref)
        if info is None or info.goodput_n is None:
            continue
        slo = run.settings.get("slo") or {}
        for metric, rate in (info.slo_pass_rate or {}).items():
            label = f"share with {_DETAIL_METRICS.get(metric, metric)} <= {slo.get(metric)}"
            rows.append({"model": ref, "metric": label, "n": info.goodput_n,
                         "mean": None if rate is None else round(rate, 3)})
        rows.append({"model": ref, "metric": "goodput (every target met)", "n": info.goodput_n,
                     "mean": None if info.goodput is None else round(info.goodput, 3)})
    return pd.DataFrame(rows)


def settings_frame(run: Run) -> pd.DataFrame:
    """The run's settings, then the machine it ran on, as ``setting | value`` rows people read (nested values
    spelled out, a list of prompts counted): the JSON itself is the page's download."""
    rows = [("prompt set", run.prompt_set.name)]
    rows += _readable_rows("", {k: v for k, v in run.settings.items() if k != "prompt_set_name"})
    rows += _readable_rows("machine · ", run.environment or {})
    return pd.DataFrame(rows, columns=["setting", "value"])


def _readable_rows(prefix: str, values: dict[str, Any]) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for key, value in values.items():
        label = prefix + key.replace("_", " ")
        if isinstance(value, dict) and value:
            rows += _readable_rows(f"{label} · ", value)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            rows.append((label, f"{len(value)} entries (in the JSON download)" if key != "prompts"
                         else f"{len(value)} prompts"))
        else:
            rows.append((label, _readable(value)))
    return rows


def _readable(value: Any) -> str:
    if value is None or value == [] or value == {}:
        return "none"
    if isinstance(value, list):
        return ", ".join(_readable(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
