"""Service-level targets ("TTFT <= 0.5 s", "latency <= 3 s") and goodput: the share of requests meeting them.

Goodput as vLLM defines it: the share of requests that met *every* target. A request that failed or
timed out met none (5 timeouts and 5 answers at TTFT 0.2 s against TTFT <= 0.5 s is 50%, not the
100% a pass rate over the answers alone reported). The per-target pass rates count failures as
misses too. Warm-up requests are not counted: they are not part of the measurement.

Targets are stored in the run's ``settings.slo`` as ``{metric: seconds}``, metric names as in
``core.benchmark.metrics`` (``ttft_s``); people type the short names (``ttft=0.5``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from core import limits

SLO_METRICS: dict[str, str] = {"ttft": "ttft_s", "ttfa": "ttfa_s", "e2e": "e2e_s"}
LABELS: dict[str, str] = {"ttft_s": "TTFT", "ttfa_s": "first answer token", "e2e_s": "latency"}


def check_metric(metric: str) -> str:
    """``metric`` if targets can be set on it, else a ``ValueError`` naming the ones that can."""
    if metric not in LABELS:
        known = ", ".join(f"{short} ({name})" for short, name in SLO_METRICS.items())
        raise ValueError(f"There is no target for {metric[:40]!r}: use one of {known}.")
    return metric


def parse_target(text: str) -> tuple[str, float]:
    """``"ttft=0.5"`` -> ``("ttft_s", 0.5)``; a ``ValueError`` of one sentence for anything else."""
    name, sep, value = text.partition("=")
    name = name.strip().lower()
    if not sep:
        raise ValueError(f"{text[:40]!r} is not a target: write NAME=SECONDS, e.g. ttft=0.5 or e2e=3.")
    if name not in SLO_METRICS:
        known = ", ".join(SLO_METRICS)
        raise ValueError(f"There is no target named {name[:40]!r}: use one of {known}, e.g. ttft=0.5.")
    seconds = float(replace(limits.SLO_TARGET, label=f"Target {name}").check(value))
    return SLO_METRICS[name], seconds


def _met(sample: Mapping[str, Any], metric: str, limit: float) -> bool:
    """A request met a target when it succeeded and its figure was measured, finite and within it."""
    value = sample.get(metric)
    return (not sample.get("error") and value is not None and math.isfinite(value) and value <= limit)


def goodput(samples: list[dict[str, Any]], slo: Mapping[str, float]) -> dict[str, Any] | None:
    """``{"share", "met", "n", "per_metric": {metric: share}}`` over the non-warm-up requests, failures
    included as misses; ``None`` when there are no targets, ``share`` ``None`` when no request was sent."""
    if not slo:
        return None
    requests = [s for s in samples if not s.get("warmup")]
    n = len(requests)
    met_all = sum(1 for s in requests if all(_met(s, metric, limit) for metric, limit in slo.items()))
    per_metric = {metric: (sum(1 for s in requests if _met(s, metric, limit)) / n if n else None)
                  for metric, limit in slo.items()}
    return {"share": met_all / n if n else None, "met": met_all, "n": n, "per_metric": per_metric}


def goodput_sentence(result: Mapping[str, Any] | None) -> str | None:
    """"goodput 50% (5 of 10 requests met every target)", or ``None`` without targets."""
    if not result:
        return None
    if result["share"] is None:
        return "goodput: no requests were measured"
    return f"goodput {result['share']:.0%} ({result['met']} of {result['n']} requests met every target)"


def targets_sentence(slo: Mapping[str, float]) -> str:
    """"TTFT <= 0.5 s, latency <= 3 s"."""
    return ", ".join(f"{LABELS.get(metric, metric)} <= {limit:g} s" for metric, limit in slo.items())
