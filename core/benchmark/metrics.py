"""Timing maths for one streamed request, and honest summaries over many.

A product owner will pick a model on these figures, so every number must mean what its name says:

* ``ttft_s``  time to first token: first non-empty delta of *any* kind, i.e. when the user first sees
  the model doing something (reasoning included).
* ``ttfa_s``  time to first answer token: first non-empty *answer* delta. For reasoning models this is
  what the user waits for before the answer starts; for other models it equals ``ttft_s``.
* ``e2e_s``   last content delta minus send time. Not the ``StreamEnd`` time: usage often arrives in a
  trailing chunk after the text is complete, and the user does not wait for it.
* ``decode_tps``  ``(completion_tokens - 1) / (t_last - t_first)``: generated tokens only (never the
  prompt) over the decode window only (never the prefill wait). The first token is excluded because
  its cost is prefill and belongs to TTFT.
* ``itl_*``  gaps between consecutive delta *arrivals*. A delta may carry several tokens, so this is
  inter-chunk latency as the user experiences it, not a per-token figure.

All timings of one sample come from the same event stream, so TTFT and e2e always describe the same
request. The *text* kept per response is capped (``MAX_STORED_CHARS`` characters each for the answer
and the reasoning, overridable with the ``PICKWISE_MAX_STORED_CHARS`` environment variable): a server
that streams 50 MB must not grow the store by 50 MB. Beyond the cap, text is dropped but every delta
is still timed and counted, so token counts and timings stay exact; ``text_truncated`` says so.
Summaries use linear-interpolated percentiles (never outside the data) and say when the sample is
too small for its tail figures to be trusted.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from core.engines.base import StreamEnd, StreamEvent
from store.queries import counted_samples

SUMMARY_METRICS: tuple[str, ...] = (
    "ttft_s",
    "ttfa_s",
    "e2e_s",
    "decode_tps",
    "itl_mean_s",
    "completion_tokens",
    "prompt_tokens",
)
MIN_SAMPLES_FOR_TAIL = 20
MAX_STORED_CHARS = 256 * 1024
MAX_STORED_CHARS_ENV = "PICKWISE_MAX_STORED_CHARS"
_BOOTSTRAP_CELLS_PER_BATCH = 1_000_000  # bounds memory: draws are made in batches of rows


@dataclass(frozen=True)
class SampleTiming:
    """Everything measured about one request; ``None`` where the stream gave too little to say."""

    ttft_s: float | None
    ttfa_s: float | None
    e2e_s: float | None
    decode_tps: float | None
    itl_mean_s: float | None
    itl_p95_s: float | None
    text: str
    reasoning_text: str
    prompt_tokens: int | None
    completion_tokens: int | None
    token_source: str | None
    finish_reason: str | None
    n_deltas: int
    text_truncated: bool = False  # the answer or reasoning was longer than the stored cap

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class SampleMeter:
    """Measures one request while it streams.

    The runner calls ``add`` for each event as it arrives; ``add`` only appends, so metering cannot
    slow the stream it measures. All maths happens once, in ``result``. Text beyond the cap
    (``max_stored_chars()``) is not kept; its arrival still is.
    """

    def __init__(self, t_send: float) -> None:
        self.t_send = t_send
        self._arrivals: list[float] = []
        self._first_answer_at: float | None = None
        self._answer = _CappedText(max_stored_chars())
        self._reasoning = _CappedText(self._answer.cap)
        self._end: StreamEnd | None = None

    def add(self, event: StreamEvent) -> None:
        """Record one event; empty deltas (role-only or keep-alive chunks) carry no content: skipped."""
        if isinstance(event, StreamEnd):
            self._end = event
            return
        if not event.text:
            return
        self._arrivals.append(event.at)
        if event.reasoning:
            self._reasoning.append(event.text)
            return
        self._answer.append(event.text)
        if self._first_answer_at is None:
            self._first_answer_at = event.at

    def result(self) -> SampleTiming:
        """The timing of the request so far (complete once the ``StreamEnd`` has been added)."""
        arrivals = self._arrivals
        end = self._end
        completion_tokens = end.completion_tokens if end else None
        gaps = np.diff(arrivals) if len(arrivals) >= 2 else None
        return SampleTiming(
            ttft_s=self._since_send(arrivals[0] if arrivals else None),
            ttfa_s=self._since_send(self._first_answer_at),
            e2e_s=self._since_send(arrivals[-1] if arrivals else None),
            decode_tps=decode_tps(completion_tokens, arrivals[0], arrivals[-1]) if arrivals else None,
            itl_mean_s=float(gaps.mean()) if gaps is not None else None,
            itl_p95_s=percentile(gaps, 95) if gaps is not None else None,
            text=self._answer.text(),
            reasoning_text=self._reasoning.text(),
            prompt_tokens=end.prompt_tokens if end else None,
            completion_tokens=completion_tokens,
            token_source=end.token_source if end else None,
            finish_reason=end.finish_reason if end else None,
            n_deltas=len(arrivals),
            text_truncated=self._answer.truncated or self._reasoning.truncated,
        )

    def _since_send(self, at: float | None) -> float | None:
        return None if at is None else at - self.t_send


def max_stored_chars() -> int:
    """Characters of answer (and of reasoning) kept per response: ``$PICKWISE_MAX_STORED_CHARS`` or 256 K.

    A bad value falls back to the default with a warning rather than failing: it is read per request,
    deep inside a run, where raising would abort the benchmark it is meant to protect."""
    raw = os.environ.get(MAX_STORED_CHARS_ENV, "").strip()
    if raw.isdigit() and int(raw) >= 1:
        return int(raw)
    if raw:
        warnings.warn(
            f"{MAX_STORED_CHARS_ENV}={raw[:20]!r} is not a whole number of characters of at least 1, so the "
            f"default of {MAX_STORED_CHARS} is used; set it to e.g. 262144 or unset it.",
            stacklevel=2,
        )
    return MAX_STORED_CHARS


class _CappedText:
    """Text pieces up to ``cap`` characters; what arrives beyond is dropped and remembered as truncation."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.truncated = False
        self._pieces: list[str] = []
        self._room = cap

    def append(self, piece: str) -> None:
        if len(piece) > self._room:
            self.truncated = True
            piece = piece[: self._room]
        if piece:
            self._pieces.append(piece)
            self._room -= len(piece)

    def text(self) -> str:
        return "".join(self._pieces)


def measure(t_send: float, events: Iterable[StreamEvent]) -> SampleTiming:
    """Measure a whole stream at once (the batch form of ``SampleMeter``)."""
    meter = SampleMeter(t_send)
    for event in events:
        meter.add(event)
    return meter.result()


def decode_tps(completion_tokens: int | None, t_first: float, t_last: float) -> float | None:
    """Generation speed after the first token; ``None`` when fewer than 2 tokens or no time passed.

    Prompt tokens are never counted: dividing prompt+completion by latency (as the seed script did)
    rewards long prompts and says nothing about how fast text appears.
    """
    span = t_last - t_first
    if completion_tokens is None or completion_tokens < 2 or span <= 0:
        return None
    return (completion_tokens - 1) / span


def _finite(values: Iterable[float | None]) -> tuple[np.ndarray, int]:
    """The usable values as a float array, and how many were missing (``None`` or NaN)."""
    kept: list[float] = []
    missing = 0
    for value in values:
        if value is None or math.isnan(value):
            missing += 1
        else:
            kept.append(float(value))
    return np.asarray(kept, dtype=float), missing


def percentile(values: Iterable[float | None], q: float) -> float | None:
    """The q-th percentile (0..100) by linear interpolation, ignoring missing values; ``None`` if empty.

    Linear interpolation between order statistics (numpy's default) can never leave [min, max], unlike
    the "exclusive" method of ``statistics.quantiles`` that let the seed script report a p95 above the
    slowest request it had seen.
    """
    if not 0 <= q <= 100:
        raise ValueError(f"percentile q must be between 0 and 100, got {q}")
    data, _ = _finite(values)
    if data.size == 0:
        return None
    return float(np.percentile(data, q, method="linear"))


@dataclass(frozen=True)
class Summary:
    """Distribution of one metric over the counted samples, with its uncertainty made explicit."""

    n: int
    n_missing: int
    mean: float | None = None
    p50: float | None = None
    p90: float | None = None
    p95: float | None = None
    p99: float | None = None
    std: float | None = None
    cv_pct: float | None = None
    min: float | None = None
    max: float | None = None
    ci95_low: float | None = None
    ci95_high: float | None = None
    warning: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def summarize(values: Iterable[float | None], *, seed: int = 0, n_boot: int = 2000) -> Summary:
    """Summarise one metric. Missing values (``None``/NaN) are counted in ``n_missing``, not guessed.

    The 95% interval is for the *mean*, by percentile bootstrap with a seeded generator, so the same
    data always gives the same interval (reports must be reproducible).
    """
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    data, missing = _finite(values)
    n = int(data.size)
    if n == 0:
        return Summary(n=0, n_missing=missing, warning="no samples to summarise")
    mean = float(data.mean())
    std = float(data.std(ddof=1)) if n >= 2 else None
    p50, p90, p95, p99 = (float(p) for p in np.percentile(data, [50, 90, 95, 99], method="linear"))
    ci_low = ci_high = None
    if n >= 2:
        ci_low, ci_high = percentile_interval(resampled_means(np.random.default_rng(seed), data, n_boot))
    return Summary(
        n=n,
        n_missing=missing,
        mean=mean,
        p50=p50,
        p90=p90,
        p95=p95,
        p99=p99,
        std=std,
        cv_pct=std / abs(mean) * 100 if std is not None and mean != 0 else None,
        min=float(data.min()),
        max=float(data.max()),
        ci95_low=ci_low,
        ci95_high=ci_high,
        warning=_small_sample_warning(n),
    )


def _small_sample_warning(n: int) -> str | None:
    if n >= MIN_SAMPLES_FOR_TAIL:
        return None
    noun = "sample" if n == 1 else "samples"
    return (
        f"p95 rests on only {n} {noun}; collect at least {MIN_SAMPLES_FOR_TAIL} before trusting tail figures"
    )


def resampled_means(rng: np.random.Generator, data: np.ndarray, n_boot: int) -> np.ndarray:
    """The means of ``n_boot`` bootstrap resamples of ``data``, drawn in batches so memory stays bounded.

    The one bootstrap of Pickwise: a metric's interval (``summarize``) and Compare's ratios
    (``core.compare.groups``) are both built on it, with a seeded generator so the same data always gives
    the same interval."""
    rows_per_batch = max(1, _BOOTSTRAP_CELLS_PER_BATCH // data.size)
    return np.concatenate([
        rng.choice(data, size=(min(rows_per_batch, n_boot - start), data.size)).mean(axis=1)
        for start in range(0, n_boot, rows_per_batch)
    ])


def percentile_interval(statistics: np.ndarray) -> tuple[float, float]:
    """The percentile-bootstrap 95% interval of resampled statistics."""
    low, high = np.percentile(statistics, [2.5, 97.5], method="linear")
    return float(low), float(high)


def slo_pass_rate(
    values: Iterable[float | None], threshold: float, lower_is_better: bool = True
) -> float | None:
    """Share (0..1) of measured values meeting a target, e.g. "TTFT <= 0.5 s"; ``None`` if none measured.

    Missing values are ignored here; errored requests should be excluded or counted by the caller,
    which knows whether an error is a miss.
    """
    data, _ = _finite(values)
    if data.size == 0:
        return None
    passed = data <= threshold if lower_is_better else data >= threshold
    return float(passed.mean())


def summarize_samples(samples: list[dict[str, Any]], *, seed: int = 0) -> dict[str, Any]:
    """Summaries per metric from stored sample dicts, with what was left out said out loud.

    Warm-up samples (flagged ``warmup``) and failed ones (non-empty ``error``) are excluded and counted;
    a warm-up that also failed counts as warm-up. ``tokens_estimated`` is true when any counted sample's
    token count did not come from the engine, so token-based figures must be read as estimates.

    Returns ``{"n_samples", "n_counted", "n_warmup", "n_errors", "tokens_estimated",
    "metrics": {metric: Summary.as_dict()}}`` for each name in ``SUMMARY_METRICS``.
    """
    warmup = [s for s in samples if s.get("warmup")]
    errors = [s for s in samples if not s.get("warmup") and s.get("error")]
    counted = counted_samples(samples)
    return {
        "n_samples": len(samples),
        "n_counted": len(counted),
        "n_warmup": len(warmup),
        "n_errors": len(errors),
        "tokens_estimated": any(s.get("token_source") != "engine" for s in counted),
        "metrics": {
            name: summarize((s.get(name) for s in counted), seed=seed).as_dict() for name in SUMMARY_METRICS
        },
    }
