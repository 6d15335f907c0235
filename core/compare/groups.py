"""Groups: one model in one run on one device, the unit every Compare chart shows, and the frames behind the charts.

A group also knows its model's family and the machine that measured it (``core.bundles.machine_label``),
which is what "with and without GPU" pairs on (``core.compare.devices``).

Pure functions over stored runs (``store.records.Run``) and their samples (plain dicts, see ``store.records``):
the Compare page, its tests and any later report compute the same numbers. Each group's own figures
(percentiles, mean, 95% interval) come from ``core.benchmark.metrics``, of the run's lowest concurrency
level, as the run summary does, so load never blurs latency.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from core.benchmark.metrics import summarize_samples
from core.bundles import machine_label, measured_here
from core.compare.runs import PromptKey, device_of, family_of, prompt_keys, setup_name
from store.queries import counted_samples
from store.records import ModelResult, Run

SPEED_METRICS: tuple[str, ...] = ("ttft_s", "e2e_s", "decode_tps")
METRIC_LABELS: dict[str, str] = {
    "ttft_s": "Time to first token (s)",
    "e2e_s": "End-to-end latency (s)",
    "decode_tps": "Tokens/s",
}
LOWER_IS_BETTER: dict[str, bool] = {"ttft_s": True, "e2e_s": True, "decode_tps": False}

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
    prompt_keys: Mapping[str, PromptKey] = field(repr=False)  # prompt id -> (id, text hash), see runs.prompt_keys
    family: str = ""  # what pairs it with its variants elsewhere (core.compare.runs.family_of)
    machine: str = "this machine"  # the machine that measured it (core.bundles.machine_label)
    here: bool = True  # measured on this machine (core.bundles.measured_here)

    @property
    def setup(self) -> str:
        """Where it was measured, as people say it: "gpu-box, CUDA", "laptop, CPU"."""
        name = setup_name(self.device, self.provider)
        return f"{self.machine}, {name}" if name else self.machine

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

    def values_by_prompt(self, name: str) -> dict[PromptKey, list[float]]:
        """Each prompt's counted values of one metric over the rounds, keyed by (id, text hash): what pairs.

        A sample whose prompt is not in the run's prompt set has no text to match, so it pairs with nothing."""
        by_prompt: dict[PromptKey, list[float]] = defaultdict(list)
        for sample in counted_samples(self.samples):
            key = self.prompt_keys.get(sample["prompt_id"])
            if key is not None and sample.get(name) is not None:
                by_prompt[key].append(sample[name])
        return dict(by_prompt)


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


def build_groups(runs: Iterable[Run], samples_by_run: Mapping[str, list[dict]], models: Collection[str],
                 family_tags: Mapping[str, str] | None = None) -> list[Group]:
    """One group per (run, chosen model) that has a record in the run, in run then model order.

    ``family_tags``: the user's family tag per ref (``core.models.specs.family_tags``), for runs that did
    not record a family."""
    groups = []
    for run in runs:
        keys, machine, here = prompt_keys(run), machine_label(run), measured_here(run)
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
                info=info, samples=samples, summary=_summary(run, info, samples), prompt_keys=keys,
                family=family_of(ref, info, family_tags or {}), machine=machine, here=here,
            ))
    return groups


def _ident(group: Group) -> dict[str, Any]:
    return {"group": group.key, "model": group.model_ref, "device": group.device, "provider": group.provider,
            "run": group.run_id, "n": group.n}


UNITS: dict[str, str] = {"ttft": "_s", "e2e": "_s", "tps": ""}  # figure prefix -> column suffix
STATS: tuple[str, ...] = ("p50", "p95", "mean")


def _summary_key(stat: str, end: str | None) -> str:
    """A figure's key in a stored summary (``core.benchmark.metrics.Summary``): ``p50``, ``p50_ci95_low``, and
    for the mean's bounds ``ci95_low``."""
    if end is None:
        return stat
    return f"ci95_{end}" if stat == "mean" else f"{stat}_ci95_{end}"


def figure_key(prefix: str, stat: str, end: str | None = None) -> str:
    """The column of a figure (``ttft_p50_s``) or of one end of its 95% interval (``ttft_p50_ci95_low_s``,
    ``tps_ci95_low``): the summary's own key, prefixed by the metric and suffixed by its unit."""
    return f"{prefix}_{_summary_key(stat, end)}{UNITS[prefix]}"


FIGURE_KEYS: tuple[str, ...] = tuple(figure_key(prefix, stat, end) for prefix in UNITS for stat in STATS
                                     for end in (None, "low", "high"))


def _figures(prefix: str, metric: Mapping[str, Any]) -> dict[str, Any]:
    """Median, p95 and mean of one metric, each with its 95% interval (``None`` where there is none;
    summaries stored before the median and p95 had intervals have none)."""
    return {figure_key(prefix, stat, end): metric.get(_summary_key(stat, end))
            for stat in STATS for end in (None, "low", "high")}


def summary_frame(groups: Iterable[Group]) -> pd.DataFrame:
    """One row per group: the figures every speed and footprint chart shows (and exports as CSV).

    Each figure sits next to its n and its 95% interval (from the stored summary)."""
    rows = []
    for g in groups:
        ttft, e2e, tps = g.metric("ttft_s"), g.metric("e2e_s"), g.metric("decode_tps")
        rows.append({
            **_ident(g),
            "errors": g.summary["n_errors"],
            **_figures("ttft", ttft), **_figures("e2e", e2e), **_figures("tps", tps),
            "tps_n": tps["n"],
            "rss_load_mb": g.info.rss_load_mb, "rss_peak_mb": g.info.rss_peak_mb, "disk_mb": g.info.disk_mb,
            "warning": ttft.get("warning") or "",
        })
    return pd.DataFrame(rows)


def distribution_frame(groups: Iterable[Group], metric: str) -> pd.DataFrame:
    """Every counted sample's value of one metric, tagged with its group (long format)."""
    rows = [{**_ident(g), "value": value} for g in groups for value in g.values(metric)]
    return pd.DataFrame(rows, columns=["group", "model", "device", "provider", "run", "n", "value"])
