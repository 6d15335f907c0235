"""Targets and goodput (``core.benchmark.slo``): failed and timed-out requests miss every target."""

from __future__ import annotations

import math

import pytest

from core.benchmark.runner import model_figures
from core.benchmark.settings import BenchmarkSettings
from core.benchmark.slo import goodput, goodput_sentence, parse_target, targets_sentence


def _answer(ttft: float, e2e: float = 1.0, *, warmup: bool = False) -> dict:
    return {"warmup": warmup, "error": None, "ttft_s": ttft, "ttfa_s": ttft, "e2e_s": e2e, "concurrency": 1,
            "completion_tokens": 10, "token_source": "engine", "decode_tps": 50.0}


def _timeout() -> dict:
    return {"warmup": False, "error": "timed out after 5 s", "ttft_s": None, "e2e_s": None, "concurrency": 1}


def test_five_timeouts_and_five_good_answers_are_50_percent_not_100() -> None:
    """The issue's case: the pass rate over answers alone said 100%."""
    samples = [_timeout() for _ in range(5)] + [_answer(0.2) for _ in range(5)]
    result = goodput(samples, {"ttft_s": 0.5})
    assert result == {"share": 0.5, "met": 5, "n": 10, "per_metric": {"ttft_s": 0.5}}
    assert goodput_sentence(result) == "goodput 50% (5 of 10 requests met every target)"


def test_goodput_needs_every_target_and_skips_warmups() -> None:
    samples = [_answer(0.2, 1.0), _answer(0.2, 4.0), _answer(0.9, 1.0), _answer(0.1, 0.5),
               _answer(9.0, 9.0, warmup=True), {**_answer(0.2), "e2e_s": math.inf}, {**_answer(0.2), "e2e_s": None}]
    result = goodput(samples, {"ttft_s": 0.5, "e2e_s": 3.0})
    assert (result["met"], result["n"]) == (2, 6)  # the warm-up is not a request of the measurement
    assert result["per_metric"] == {"ttft_s": 5 / 6, "e2e_s": 3 / 6}  # unmeasured / infinite latency: a miss


def test_no_targets_or_no_requests() -> None:
    assert goodput([_answer(0.1)], {}) is None and goodput_sentence(None) is None
    empty = goodput([_answer(0.1, warmup=True)], {"ttft_s": 1.0})
    assert empty["share"] is None and goodput_sentence(empty) == "goodput: no requests were measured"


def test_the_runner_stores_goodput_and_pass_rates_with_failures_as_misses() -> None:
    settings = BenchmarkSettings(models=["a:m"], prompts=[{"id": "p", "prompt": "x"}], slo={"ttft_s": 0.5})
    samples = [_answer(0.3, warmup=True)] + [_timeout() for _ in range(5)] + [_answer(0.2) for _ in range(5)]
    figures = model_figures(samples, settings, in_process=False, peak_added_mb=0.0, joules=None)
    assert (figures["goodput"], figures["goodput_met"], figures["goodput_n"]) == (0.5, 5, 10)
    assert figures["slo_pass_rate"] == {"ttft_s": 0.5}


@pytest.mark.parametrize(("text", "expected"), [
    ("ttft=0.5", ("ttft_s", 0.5)), ("e2e=3", ("e2e_s", 3.0)), (" TTFA = 1.5", ("ttfa_s", 1.5)),
])
def test_parse_target(text: str, expected: tuple[str, float]) -> None:
    assert parse_target(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("tps=5", "There is no target named 'tps': use one of ttft, ttfa, e2e, e.g. ttft=0.5."),
    ("ttft", "'ttft' is not a target: write NAME=SECONDS, e.g. ttft=0.5 or e2e=3."),
    ("ttft=-1", "Target ttft: -1 is not a number above 0."),
    ("e2e=soon", "Target e2e: 'soon' is not a number; use a number above 0."),
    ("e2e=nan", "Target e2e: 'nan' is not a finite number; use a number above 0."),
])
def test_a_bad_target_is_one_sentence(text: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_target(text)
    assert str(caught.value) == message


def test_settings_refuse_a_target_on_an_unknown_metric() -> None:
    settings = BenchmarkSettings(models=["a:m"], prompts=[{"id": "p", "prompt": "x"}], slo={"decode_tps": 5.0})
    with pytest.raises(ValueError, match="There is no target for 'decode_tps': use one of ttft"):
        settings.validate()
    assert targets_sentence({"ttft_s": 0.5, "e2e_s": 3.0}) == "TTFT <= 0.5 s, latency <= 3 s"
