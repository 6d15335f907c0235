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
too small for its tail figures to be trusted. Their 95% intervals (for the mean and for the median)
come from ``core.intervals``; non-finite values (None, NaN, ±inf) are left out and counted as missing.

Bunched chunks: on a busy machine the client can be descheduled while the server keeps streaming; it
then reads the waiting chunks in one burst, microseconds apart. Chunks in the middle of the decode
window do not change the rate, but a burst at either end moves the window's edge (a stream read
whole after a stall gave 103,804 tok/s for a true 2,000). ``bunching`` judges each request from its
own arrival times; a bunched sample is kept (its TTFT and latency still count) but its
``decode_tps`` is left out of the tokens/s summary, with a count that says so.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from core.engines.base import StreamEnd, StreamEvent
from core.intervals import N_BOOT, mean_interval, median_interval, quantile_interval, resampled_rows
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
# Bunched arrivals (see ``bunching``): a sample is bunched when its chunks ran ahead of or behind a
# steady pace by UNEVEN_SHARE of the stream or more (a client stall held back that many chunks, so the
# window's edges may have moved that much), or when they came faster than MIN_PLAUSIBLE_GAP_S apart on
# average (over 10,000 chunks/s: no server streams one request that fast; a client reading a buffer does).
UNEVEN_SHARE = 0.1
MIN_PLAUSIBLE_GAP_S = 1e-4
MIN_GAPS_TO_JUDGE = 10  # shorter streams: one scheduler hiccup is a large share; judged by pace alone


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
    decode_bunched: bool | None = None  # chunks arrived in bursts: decode_tps unreliable (``bunching``)
    bunched_share: float | None = None  # unevenness of arrivals over the decode window (``bunching``)

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
        bunched, share = bunching(arrivals)
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
            decode_bunched=bunched,
            bunched_share=share,
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


def bunching(arrivals: list[float]) -> tuple[bool | None, float | None]:
    """Whether a request's chunks arrived bunched, and how uneven they were (0 = a perfectly steady stream).

    Unevenness is the largest gap between the share of chunks that had arrived and the share of the
    decode window that had passed (a Kolmogorov-Smirnov distance from a steady stream). A descheduled
    client reads the chunks that queued meanwhile in one burst, so a stall that held back 20% of the
    stream shows as 0.2; if it happened at an edge of the window, the rate is off by about that much.
    Other rules were tried on 240 streams at 2,000 tok/s with 0-6 busy processes on the 2 cores, against
    the server's own send times: "bursts touching the window's edges" kept rates 71% off (one gap of
    normal length ends an edge run); "most gaps far below the mean gap" flagged 59 of 60 streams under
    load, nearly all with right rates; unevenness >= 0.1 flagged 11 of 60 and kept no rate more than
    11% off (``BENCHMARKS.md``). ``(None, None)`` with fewer than two chunks: no window to judge;
    streams shorter than ``MIN_GAPS_TO_JUDGE`` gaps are judged by their pace alone. The rule reads
    chunk arrivals only, so a server sending several tokens per chunk is judged by its chunk pace, and
    a fast but steady stream is never bunched."""
    if len(arrivals) < 2:
        return None, None
    times = np.asarray(arrivals, dtype=float)
    window = float(times[-1] - times[0])
    n_gaps = times.size - 1
    if window <= 0:
        return True, 1.0
    steady = np.arange(times.size) / n_gaps
    unevenness = float(np.max(np.abs(steady - (times - times[0]) / window)))
    if window / n_gaps < MIN_PLAUSIBLE_GAP_S:
        return True, unevenness
    return bool(n_gaps >= MIN_GAPS_TO_JUDGE and unevenness >= UNEVEN_SHARE), unevenness


def finite_values(values: Iterable[float | None]) -> tuple[np.ndarray, int]:
    """The usable values as a float array, and how many were missing (``None``, NaN or ±inf).

    The one filter every summary goes through: an infinite value is a failed measurement, not a
    figure (``[1, inf, 3]`` once gave a mean of inf and a p95 of NaN)."""
    kept: list[float] = []
    missing = 0
    for value in values:
        if value is None or not math.isfinite(value):
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
    data, _ = finite_values(values)
    if data.size == 0:
        return None
    return float(np.percentile(data, q, method="linear"))


@dataclass(frozen=True)
class Summary:
    """Distribution of one metric over the counted samples, with its uncertainty made explicit.

    ``ci95_low``/``ci95_high`` bound the mean (``core.intervals.mean_interval``); when they are ``None``
    with ``n`` > 0, ``interval_note`` says why ("too few samples for an interval", "no spread
    observed"). ``p50_ci95_*`` bound the median, the robust centre, and ``p95_ci95_*`` the 95th percentile,
    both distribution-free (order statistics; p95 needs 72 samples). ``n_left_out``
    counts values measured but not trusted (e.g. rates of bunched samples); ``left_out_note`` says why."""

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
    interval_method: str | None = None
    interval_note: str | None = None
    p50_ci95_low: float | None = None
    p50_ci95_high: float | None = None
    p50_interval_note: str | None = None
    p95_ci95_low: float | None = None
    p95_ci95_high: float | None = None
    p95_interval_note: str | None = None
    n_left_out: int = 0
    left_out_note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def summarize(values: Iterable[float | None], *, seed: int = 0, n_boot: int = N_BOOT) -> Summary:
    """Summarise one metric. Missing values (``None``, NaN, ±inf) are counted in ``n_missing``, not guessed.

    The 95% intervals (mean and median) come from ``core.intervals``; the bootstrap in the mean's is
    seeded, so the same data always gives the same interval (reports must be reproducible)."""
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    data, missing = finite_values(values)
    n = int(data.size)
    if n == 0:
        return Summary(n=0, n_missing=missing, warning="no samples to summarise",
                       interval_note="no samples for an interval")
    mean = float(data.mean())
    std = float(data.std(ddof=1)) if n >= 2 else None
    p50, p90, p95, p99 = (float(p) for p in np.percentile(data, [50, 90, 95, 99], method="linear"))
    interval = mean_interval(data, seed=seed, n_boot=n_boot)
    centre, tail = median_interval(data), quantile_interval(data, 0.95, "95th percentile")
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
        ci95_low=interval.low,
        ci95_high=interval.high,
        warning=_small_sample_warning(n),
        interval_method=interval.method,
        interval_note=interval.note,
        p50_ci95_low=centre.low,
        p50_ci95_high=centre.high,
        p50_interval_note=centre.note,
        p95_ci95_low=tail.low,
        p95_ci95_high=tail.high,
        p95_interval_note=tail.note,
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

    Compare's ratios (``core.compare.ratios``) are built on it, with a seeded generator so the same
    data always gives the same interval; the resamples are ``core.intervals.resampled_rows``, the ones
    a metric's bootstrap-t interval draws."""
    return np.concatenate([rows.mean(axis=1) for rows in resampled_rows(rng, data, n_boot)])


def percentile_interval(statistics: np.ndarray) -> tuple[float, float]:
    """The percentile-bootstrap 95% interval of resampled statistics."""
    low, high = np.percentile(statistics, [2.5, 97.5], method="linear")
    return float(low), float(high)


def summarize_samples(samples: list[dict[str, Any]], *, seed: int = 0) -> dict[str, Any]:
    """Summaries per metric from stored sample dicts, with what was left out said out loud.

    Warm-up samples (flagged ``warmup``) and failed ones (non-empty ``error``) are excluded and counted;
    a warm-up that also failed counts as warm-up. ``tokens_estimated`` is true when any counted sample's
    token count did not come from the engine, so token-based figures must be read as estimates.
    A counted sample flagged ``decode_bunched`` keeps its TTFT and latency, but its ``decode_tps`` is
    left out of the tokens/s summary (``n_left_out``, ``left_out_note``, and ``n_bunched`` here), so
    there ``n + n_missing + n_left_out`` is the number counted.

    Returns ``{"n_samples", "n_counted", "n_warmup", "n_errors", "n_bunched", "tokens_estimated",
    "metrics": {metric: Summary.as_dict()}}`` for each name in ``SUMMARY_METRICS``.
    """
    warmup = [s for s in samples if s.get("warmup")]
    errors = [s for s in samples if not s.get("warmup") and s.get("error")]
    counted = counted_samples(samples)
    bunched = sum(1 for s in counted if s.get("decode_bunched"))
    metrics = {name: summarize((s.get(name) for s in counted), seed=seed).as_dict() for name in SUMMARY_METRICS}
    if bunched:
        rates = summarize((s.get("decode_tps") for s in counted if not s.get("decode_bunched")), seed=seed)
        metrics["decode_tps"] = replace(rates, n_left_out=bunched,
                                        left_out_note=bunched_note(bunched, len(counted))).as_dict()
    return {
        "n_samples": len(samples),
        "n_counted": len(counted),
        "n_warmup": len(warmup),
        "n_errors": len(errors),
        "n_bunched": bunched,
        "tokens_estimated": any(s.get("token_source") != "engine" for s in counted),
        "metrics": metrics,
    }


def bunched_note(bunched: int, counted: int) -> str:
    """"3 of 40 samples had bunched chunk arrivals; their rates are left out"."""
    return (f"{bunched} of {counted} samples had bunched chunk arrivals; their rates are left out of tokens/s "
            "(their TTFT and latency still count)")
