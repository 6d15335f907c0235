"""Timing maths against hand-computed figures, and the three seed-script flaws pinned shut.

Arrival times are chosen to be exact in binary floating point, so most expectations are exact.
"""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from core.benchmark.metrics import (
    SUMMARY_METRICS,
    SampleMeter,
    bunching,
    decode_tps,
    measure,
    percentile,
    summarize,
    summarize_samples,
)
from core.engines.base import StreamEnd, TextDelta

T_SEND = 100.0


def reasoning_stream(prompt_tokens: int = 12) -> list[TextDelta | StreamEnd]:
    """A reasoning model: a role-only empty chunk, two reasoning deltas, three answer deltas, usage."""
    return [
        TextDelta("", 100.25),
        TextDelta("Hmm", 100.5, reasoning=True),
        TextDelta(" think", 100.75, reasoning=True),
        TextDelta("Hello", 101.0),
        TextDelta(" world", 101.25),
        TextDelta("!", 102.5),
        StreamEnd(103.0, "stop", prompt_tokens, 11, "engine"),
    ]


# --- one request -----------------------------------------------------------------------------------


def test_measure_reasoning_stream_by_hand() -> None:
    timing = measure(T_SEND, reasoning_stream())
    assert timing.ttft_s == 0.5  # first non-empty delta, reasoning counts; the empty chunk does not
    assert timing.ttfa_s == 1.0  # first answer delta
    assert timing.e2e_s == 2.5  # last content delta, not the StreamEnd at 103.0
    assert timing.decode_tps == 5.0  # (11 - 1) / (102.5 - 100.5)
    assert timing.itl_mean_s == 0.5  # gaps 0.25, 0.25, 0.25, 1.25
    assert timing.itl_p95_s == pytest.approx(1.1)  # 0.25 + 0.85 * (1.25 - 0.25)
    assert timing.text == "Hello world!"
    assert timing.reasoning_text == "Hmm think"
    assert (timing.prompt_tokens, timing.completion_tokens) == (12, 11)
    assert (timing.token_source, timing.finish_reason, timing.n_deltas) == ("engine", "stop", 5)


def test_plain_model_has_ttfa_equal_to_ttft() -> None:
    events = [TextDelta("a", 100.5), TextDelta("b", 101.5), StreamEnd(101.5, "length", 3, 2, "chunks")]
    timing = measure(T_SEND, events)
    assert timing.ttft_s == timing.ttfa_s == 0.5
    assert timing.decode_tps == 1.0
    assert timing.token_source == "chunks"


def test_reasoning_only_stream_has_no_answer_time() -> None:
    events = [TextDelta("Hmm", 100.5, reasoning=True), StreamEnd(101.0, "length", 5, 1, "engine")]
    timing = measure(T_SEND, events)
    assert timing.ttft_s == 0.5
    assert timing.ttfa_s is None
    assert timing.text == ""


def test_empty_stream_gives_no_figures() -> None:
    timing = measure(T_SEND, [StreamEnd(100.5, "stop", 5, 0, "engine")])
    assert timing.ttft_s is timing.ttfa_s is timing.e2e_s is None
    assert timing.decode_tps is timing.itl_mean_s is timing.itl_p95_s is None
    assert timing.n_deltas == 0


def test_single_delta_has_no_inter_token_latency() -> None:
    timing = measure(T_SEND, [TextDelta("Hi", 100.5), StreamEnd(100.5, "stop", 3, 1, "engine")])
    assert timing.e2e_s == 0.5
    assert timing.itl_mean_s is timing.itl_p95_s is timing.decode_tps is None


@pytest.mark.parametrize(
    ("tokens", "t_first", "t_last", "expected"),
    [(11, 1.0, 3.0, 5.0), (2, 1.0, 1.5, 2.0), (1, 1.0, 3.0, None), (None, 1.0, 3.0, None), (5, 2.0, 2.0, None)],
)
def test_decode_tps(tokens: int | None, t_first: float, t_last: float, expected: float | None) -> None:
    assert decode_tps(tokens, t_first, t_last) == expected


def test_meter_fed_incrementally_matches_measure() -> None:
    meter = SampleMeter(T_SEND)
    events = reasoning_stream()
    for event in events[:4]:
        meter.add(event)
    partial = meter.result()
    assert (partial.ttft_s, partial.ttfa_s, partial.e2e_s) == (0.5, 1.0, 1.0)
    assert partial.completion_tokens is None and partial.decode_tps is None  # usage not in yet
    for event in events[4:]:
        meter.add(event)
    assert meter.result() == measure(T_SEND, events)


def test_sample_timing_as_dict_has_every_stored_field() -> None:
    stored = measure(T_SEND, reasoning_stream()).as_dict()
    assert set(SUMMARY_METRICS) <= set(stored)
    assert stored["e2e_s"] == 2.5


# --- the seed script's flaws -----------------------------------------------------------------------


def test_flaw1_throughput_counts_generated_tokens_over_decode_time_only() -> None:
    """The seed divided prompt+completion tokens by total latency; that rewards long prompts."""
    short, long = measure(T_SEND, reasoning_stream(12)), measure(T_SEND, reasoning_stream(1000))
    assert short.decode_tps == long.decode_tps == 5.0
    seed_style = (1000 + 11) / long.e2e_s
    assert seed_style == pytest.approx(404.4)
    assert long.decode_tps != pytest.approx(seed_style)


def test_flaw2_ttft_and_e2e_come_from_the_same_request() -> None:
    """The seed took TTFT from a separate streaming call; here both are read off one event stream."""
    fast = measure(T_SEND, [TextDelta("a", 100.25), TextDelta("b", 100.5), StreamEnd(100.5, "stop", 1, 2, "engine")])
    slow = measure(T_SEND, reasoning_stream())
    for timing, (t_first, t_last) in ((fast, (100.25, 100.5)), (slow, (100.5, 102.5))):
        assert timing.ttft_s == t_first - T_SEND
        assert timing.e2e_s == t_last - T_SEND
        assert timing.ttft_s <= timing.e2e_s


def test_flaw3_p95_of_three_samples_never_exceeds_the_max() -> None:
    """The seed used statistics.quantiles (exclusive), which extrapolates beyond the data."""
    latencies = [1.0, 2.0, 10.0]
    assert statistics.quantiles(latencies, n=20)[-1] > max(latencies)  # the flaw, reproduced
    assert percentile(latencies, 95) == pytest.approx(9.2)  # 2 + 0.9 * (10 - 2)
    summary = summarize(latencies)
    assert summary.p95 <= summary.max == 10.0
    assert summary.p99 <= summary.max
    assert summary.warning is not None and "p95 rests on only 3 samples" in summary.warning


# --- percentiles -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("q", "expected"), [(0, 10.0), (25, 17.5), (50, 25.0), (90, 37.0), (100, 40.0)])
def test_percentile_by_hand(q: float, expected: float) -> None:
    # position = q/100 * (n - 1); e.g. q=90 -> 2.7 -> 30 + 0.7 * 10
    assert percentile([40.0, 10.0, 30.0, 20.0], q) == pytest.approx(expected)


def test_percentile_matches_numpy_and_stays_within_range() -> None:
    rng = np.random.default_rng(7)
    for size in (1, 2, 3, 5, 19, 200):
        data = rng.lognormal(size=size)
        for q in (0, 1, 50, 90, 95, 99, 100):
            value = percentile(data.tolist(), q)
            assert value == pytest.approx(float(np.percentile(data, q)))
            assert data.min() <= value <= data.max()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(min_value=-1e9, max_value=1e9), min_size=1, max_size=80),
       st.floats(min_value=0, max_value=100))
def test_percentile_matches_scipy(values: list[float], q: float) -> None:
    expected = stats.scoreatpercentile(values, q, interpolation_method="fraction")
    assert percentile(values, q) == pytest.approx(expected, rel=1e-9, abs=1e-6)


def test_percentile_ignores_missing_and_handles_empty() -> None:
    assert percentile([None, 1.0, math.nan, 3.0], 50) == 2.0
    assert percentile([], 95) is None
    assert percentile([None, math.nan], 95) is None


@pytest.mark.parametrize("q", [-1, 100.5])
def test_percentile_rejects_q_outside_0_100(q: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([1.0], q)


# --- summaries -------------------------------------------------------------------------------------

DATA = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]  # mean 5, sum of squared deviations 32


def test_summarize_by_hand() -> None:
    summary = summarize(DATA)
    assert (summary.n, summary.n_missing, summary.mean) == (8, 0, 5.0)
    assert summary.std == pytest.approx(math.sqrt(32 / 7))  # sample std, ddof=1
    assert summary.cv_pct == pytest.approx(math.sqrt(32 / 7) / 5 * 100)
    assert (summary.min, summary.p50, summary.max) == (2.0, 4.5, 9.0)
    assert summary.p90 == pytest.approx(7.6)  # position 6.3 -> 7 + 0.3 * 2
    assert summary.p95 == pytest.approx(8.3)  # position 6.65
    assert summary.p99 == pytest.approx(8.86)  # position 6.93


def test_interval_contains_mean_and_median_and_is_reproducible() -> None:
    first = summarize(DATA, seed=1)
    assert first.ci95_low < first.mean < first.ci95_high
    assert first.interval_method == "hull of Student-t, log-normal (Cox) and bootstrap-t"
    assert first.p50_ci95_low <= first.p50 <= first.p50_ci95_high  # n = 8: ranks 1 and 8
    assert (first.p50_ci95_low, first.p50_ci95_high) == (2.0, 9.0)
    assert summarize(DATA, seed=1) == first


def test_interval_width_matches_theory_on_large_sample() -> None:
    """n=5000 also spans several draw batches; the width must still be about 2 * 1.96 * sd / sqrt(n)."""
    data = np.random.default_rng(3).normal(10.0, 1.0, size=5000).tolist()
    summary = summarize(data, n_boot=1000)
    expected_half_width = 1.96 * summary.std / math.sqrt(summary.n)
    assert (summary.ci95_high - summary.ci95_low) / 2 == pytest.approx(expected_half_width, rel=0.15)
    assert summary.ci95_low < summary.mean < summary.ci95_high


def test_missing_values_are_counted_not_used() -> None:
    summary = summarize([1.0, None, math.nan, 3.0])
    assert (summary.n, summary.n_missing, summary.mean) == (2, 2, 2.0)


def test_warning_until_twenty_samples() -> None:
    assert summarize(range(19)).warning.startswith("p95 rests on only 19 samples")
    assert summarize(range(20)).warning is None
    assert summarize([4.0]).warning.startswith("p95 rests on only 1 sample;")


def test_single_and_empty_and_constant_inputs() -> None:
    one = summarize([4.0])
    assert (one.mean, one.p95, one.std, one.cv_pct, one.ci95_low, one.ci95_high) == (4.0, 4.0, None, None, None, None)
    assert one.interval_note == "too few samples for an interval (n=1, need 5)"
    empty = summarize([None])
    assert (empty.n, empty.n_missing, empty.mean, empty.p95) == (0, 1, None, None)
    assert empty.warning == "no samples to summarise"
    few_equal = summarize([3.0] * 3)  # a handful of equal values is never "3.00-3.00"
    assert (few_equal.ci95_low, few_equal.ci95_high) == (None, None)
    assert few_equal.interval_note == "too few samples for an interval (n=3, need 5)"
    flat = summarize([3.0] * 8)
    assert (flat.std, flat.cv_pct, flat.ci95_low, flat.ci95_high, flat.p50_ci95_low) == (0.0, 0.0, None, None, None)
    assert flat.interval_note == "no spread observed: all 8 samples equal 3, so no interval can be estimated"
    assert summarize([1.0, 2.0]).ci95_low is None  # two values: [min, max] once claimed 95%
    assert summarize([0.0, 0.0]).cv_pct is None  # undefined for a zero mean


def test_non_finite_values_are_left_out_and_counted_as_missing() -> None:
    summary = summarize([1.0, math.inf, 3.0, -math.inf, math.nan, None])
    assert (summary.n, summary.n_missing, summary.mean, summary.max) == (2, 4, 2.0, 3.0)
    assert summary.p95 == pytest.approx(2.9)
    assert percentile([1.0, math.inf, 3.0], 95) == pytest.approx(2.9)
    stored = summarize_samples([sample(0.5), {**sample(0.7), "e2e_s": math.inf}])["metrics"]["e2e_s"]
    assert (stored["n"], stored["n_missing"], stored["mean"]) == (1, 1, 1.5)


def test_summarize_rejects_zero_bootstrap_draws() -> None:
    with pytest.raises(ValueError, match="n_boot"):
        summarize(DATA, n_boot=0)


# --- stored samples --------------------------------------------------------------------------------


def sample(ttft: float, *, warmup: bool = False, error: str | None = None, source: str = "engine") -> dict:
    return {
        "warmup": warmup,
        "error": error,
        "ttft_s": ttft,
        "ttfa_s": ttft,
        "e2e_s": ttft + 1.0,
        "decode_tps": 20.0,
        "itl_mean_s": 0.05,
        "completion_tokens": 21,
        "prompt_tokens": 9,
        "token_source": source,
    }


def test_summarize_samples_excludes_and_counts_warmup_and_errors() -> None:
    samples = [
        sample(9.0, warmup=True, source="chunks"),  # cold start: must not drag the mean
        sample(9.0, warmup=True, error="timeout"),  # a failed warm-up counts as warm-up
        sample(0.0, error="connection refused"),
        sample(0.25),
        sample(0.75),
    ]
    result = summarize_samples(samples)
    assert (result["n_samples"], result["n_counted"], result["n_warmup"], result["n_errors"]) == (5, 2, 2, 1)
    assert result["tokens_estimated"] is False  # the estimated warm-up is not counted
    assert set(result["metrics"]) == set(SUMMARY_METRICS)
    ttft = result["metrics"]["ttft_s"]
    assert (ttft["n"], ttft["mean"], ttft["max"]) == (2, 0.5, 0.75)
    assert result["metrics"]["e2e_s"]["mean"] == 1.5


def test_summarize_samples_flags_estimated_tokens_and_missing_fields() -> None:
    samples = [sample(0.5), sample(0.5, source="tokenizer"), {"warmup": False, "error": None}]
    result = summarize_samples(samples)
    assert result["tokens_estimated"] is True
    assert result["metrics"]["ttft_s"]["n"] == 2
    assert result["metrics"]["ttft_s"]["n_missing"] == 1


def test_summarize_samples_of_nothing() -> None:
    result = summarize_samples([])
    assert (result["n_counted"], result["tokens_estimated"]) == (0, False)
    assert result["metrics"]["ttft_s"]["mean"] is None


# --- bunched chunk arrivals ------------------------------------------------------------------------


def _regular(n: int, rate: float, jitter: float = 0.2, seed: int = 0) -> list[float]:
    """Arrivals of a steady stream at ``rate`` chunks/s with +-``jitter`` of a gap of noise."""
    gaps = (1 + np.random.default_rng(seed).uniform(-jitter, jitter, n - 1)) / rate
    return [100.0, *(100.0 + np.cumsum(gaps))]


def _read_late(arrivals: list[float], stalls: list[tuple[float, float]], read_gap: float = 25e-6) -> list[float]:
    """What a client descheduled during each ``(start, end)`` stall sees: chunks sent during a stall are read
    when it ends, ``read_gap`` apart (parsing time), as a burst."""
    seen, clock = [], 0.0
    for sent in arrivals:
        at = sent
        for start, end in stalls:
            if start <= sent < end:
                at = max(end, clock + read_gap)
        clock = max(at, clock + (read_gap if at == clock else 0))
        seen.append(clock)
    return seen


def _stream(arrivals: list[float], completion_tokens: int) -> list:
    return [*(TextDelta("x", at) for at in arrivals), StreamEnd(arrivals[-1], "stop", 5, completion_tokens, "engine")]


@pytest.mark.parametrize("rate", [20, 2000, 5000])
def test_a_regular_stream_is_never_bunched_however_fast(rate: int) -> None:
    for seed in range(20):
        arrivals = _regular(401, rate, seed=seed)
        timing = measure(99.95, _stream(arrivals, 401))
        assert timing.decode_bunched is False, (rate, seed, timing.bunched_share)
        assert timing.decode_tps == pytest.approx(rate, rel=0.05)


def test_several_tokens_per_chunk_is_judged_by_its_chunk_pace() -> None:
    """A server sending 8 tokens per chunk at 2,000 tok/s: 250 chunks/s, regular, 2,000 tok/s reported."""
    arrivals = _regular(51, 250)
    timing = measure(99.95, _stream(arrivals, 8 * 51))
    assert timing.decode_bunched is False
    assert timing.decode_tps == pytest.approx(2000, rel=0.05)
    stalled = _read_late(arrivals, [(arrivals[0] - 0.01, arrivals[20])])  # first 40% read in one burst
    assert measure(99.95, _stream(stalled, 8 * 51)).decode_bunched is True


def test_a_stream_read_whole_after_a_stall_is_bunched() -> None:
    """The issue's 103,804 tok/s sample: the client slept through the whole 2,000 tok/s stream."""
    arrivals = _regular(401, 2000)
    stalled = _read_late(arrivals, [(arrivals[0] - 0.001, arrivals[-1] + 0.001)])
    timing = measure(99.95, _stream(stalled, 401))
    assert timing.decode_tps > 20 * 2000  # what used to be shown
    assert timing.decode_bunched is True and timing.bunched_share < 0.01  # evenly spaced: the pace gives it away


@pytest.mark.parametrize(("start", "end", "bunched"), [
    (0.0, 0.4, True),    # first 40% read late in one burst: the window shrank, rate ~1.6x too high
    (0.75, 1.0, True),   # the last quarter read late: the window may have stretched
    (0.3, 0.6, True),    # a stall holding back 30% of the stream: had it come at an edge, 30% off
    (0.0, 0.05, False),  # a short stall at the start: rate within ~5%
    (0.45, 0.5, False),  # a short stall mid-stream: the rate is right
])
def test_a_stall_holding_back_a_tenth_of_the_stream_is_bunched(start: float, end: float, bunched: bool) -> None:
    arrivals = _regular(401, 2000)
    span = arrivals[-1] - arrivals[0]
    stall = (arrivals[0] + start * span - (0.001 if start == 0 else 0), arrivals[0] + end * span + 0.0004)
    timing = measure(99.95, _stream(_read_late(arrivals, [stall]), 401))
    assert timing.decode_bunched is bunched, timing.bunched_share
    assert timing.bunched_share == pytest.approx(end - start, abs=0.02)
    if not bunched:
        assert timing.decode_tps == pytest.approx(400 / span, rel=0.06)


def test_too_few_chunks_to_judge() -> None:
    assert bunching([1.0]) == (None, None)
    assert bunching([1.0, 1.1, 1.2, 1.9]) == (False, pytest.approx(4 / 9))  # uneven, but too short to judge
    assert bunching([1.0, 1.00001, 1.00002])[0] is True  # 100,000 chunks/s: no server streams that fast
    assert bunching([1.0, 1.0, 1.0]) == (True, 1.0)


def test_bunched_rates_are_left_out_of_tokens_per_second_with_a_count() -> None:
    regular = [sample(0.1 + i / 100) | {"decode_tps": 2000.0 + i, "decode_bunched": False} for i in range(37)]
    bunched = [sample(0.3) | {"decode_tps": rate, "decode_bunched": True} for rate in (103_804.0, 5000.0, 3100.0)]
    result = summarize_samples(regular + bunched)
    tps = result["metrics"]["decode_tps"]
    assert (result["n_counted"], result["n_bunched"]) == (40, 3)
    assert (tps["n"], tps["n_missing"], tps["n_left_out"], tps["max"]) == (37, 0, 3, 2036.0)
    assert tps["left_out_note"].startswith("3 of 40 samples had bunched chunk arrivals; their rates are left out")
    assert tps["p50_ci95_low"] <= tps["p50"] == 2018.0 <= tps["p50_ci95_high"]
    assert result["metrics"]["ttft_s"]["n"] == 40  # their TTFT still counts
