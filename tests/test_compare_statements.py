"""The comparisons in words (``core.compare.statements``) on seeded stored runs: faster, ties, devices,
baselines and refusals, each with its interval and the number of shared prompts."""

from __future__ import annotations

import re
import socket

import pandas as pd
import pytest

from core.compare.baseline import baseline_change_frame
from core.compare.devices import device_speedup_frame
from core.compare.head_to_head import head_to_head_frame
from core.compare.statements import baseline_statements, device_statements, head_to_head_statements, times
from store import Store
from tests.test_compare import GPU_SPEC, LARGE, SMALL, ModelSpec, _groups, seed_run

CI = r"95% CI (\d+\.\d+)-(\d+\.\d+)"


def test_two_models_of_one_run_in_words(store: Store) -> None:
    run = seed_run(store, [ModelSpec(LARGE, speed=0.5), ModelSpec(SMALL)], rounds=3)
    frame = head_to_head_frame(_groups(store, [run]))
    sentences = head_to_head_statements(frame)
    assert len(sentences) == 3
    e2e, = (s for s in sentences if "end to end" in s)
    match = re.fullmatch(rf"{re.escape(SMALL)} is (\d\.\d)x faster end to end than {re.escape(LARGE)} "
                         rf"\({CI}, over 4 shared prompts in run {run} on CPU\)\.", e2e)
    assert match, e2e
    assert float(match[2]) < float(match[1]) < float(match[3])
    assert float(match[1]) == pytest.approx(2.0, abs=0.1)
    tps, = (s for s in sentences if "tokens/s" in s)
    assert tps.startswith(f"{SMALL} generates 2.0x the tokens/s of {LARGE} (95% CI ")


def test_models_at_the_same_speed_are_a_statistical_tie(store: Store) -> None:
    run = seed_run(store, [ModelSpec(SMALL), ModelSpec(LARGE)], rounds=3)
    sentences = head_to_head_statements(head_to_head_frame(_groups(store, [run])))
    assert all(s.startswith("Statistical tie between ") for s in sentences), sentences
    assert any(" on time to first token (" in s and "over 4 shared prompts" in s for s in sentences)


def test_devices_in_words_faster_slower_and_refused(store: Store) -> None:
    cpu = seed_run(store, [ModelSpec(SMALL), ModelSpec(LARGE)], seed=1)
    gpu = seed_run(store, [ModelSpec(SMALL, **GPU_SPEC, speed=2.0), ModelSpec(LARGE, **GPU_SPEC, speed=0.5)],
                   seed=2, prompts=6)
    sentences = device_statements(device_speedup_frame(_groups(store, [cpu, gpu])))
    here = re.escape(socket.gethostname())  # neither model records a family: each is its model id's family
    assert any(re.fullmatch(rf"small:1 on {here}, CUDA is 2\.0x as fast end to end as on {here}, CPU "
                            rf"\({CI}x, 15 and 10 requests over 4 shared prompts\)\.", s)
               for s in sentences), sentences  # the GPU run asked 6 prompts, 2 of them not shared
    assert any(re.match(rf"large on {here}, CUDA is (1\.9|2\.0|2\.1)x slower to first token than on {here}, CPU "
                        rf"\({CI}x, \d+ and \d+ requests over 4 shared prompts", s) for s in sentences), sentences
    assert any(re.match(rf"large on {here}, CUDA is (1\.9|2\.0|2\.1)x slower in tokens/s than on", s)
               for s in sentences), sentences

    elsewhere = seed_run(store, [ModelSpec(SMALL, **GPU_SPEC)], seed=3, prompt_text="Other {i}")
    refused = device_statements(device_speedup_frame(_groups(store, [cpu, elsewhere], [SMALL])))
    assert refused[0] == (f"small:1 on {socket.gethostname()}, CUDA cannot be compared with {socket.gethostname()}, "
                          "CPU on time to first token: these runs share no prompt; run both on the same prompt set.")


def test_baseline_changes_in_words(store: Store) -> None:
    base = seed_run(store, [ModelSpec(SMALL)], seed=1, rounds=8)
    again = seed_run(store, [ModelSpec(SMALL)], seed=4, rounds=8)
    slower = seed_run(store, [ModelSpec(SMALL)], seed=3, rounds=8, slowdown=1.3)
    groups = _groups(store, [base, again, slower])
    frame = baseline_change_frame([g for g in groups if g.run_id == base], [g for g in groups if g.run_id != base])
    sentences = baseline_statements(frame)
    worse = [s for s in sentences if f"run {slower} on CPU" in s]
    assert any(re.fullmatch(rf"{re.escape(SMALL)} is (\d+)% slower end to end than in baseline run {base} "
                            rf"\(95% CI (\d+)-(\d+)%, over 4 shared prompts; run {slower} on CPU\): "
                            r"worse beyond noise\.", s) for s in worse), worse
    assert any(s.startswith(f"{SMALL} generates 2") and f"% fewer tokens/s than in baseline run {base}" in s
               and s.endswith("worse beyond noise.") for s in worse), worse
    same = [s for s in sentences if f"run {again} on CPU" in s]
    assert all(s.endswith("within noise, a tie.") or "negligible" in s for s in same), same
    assert any(re.search(r"95% CI \d\.\d% (faster|slower) to \d\.\d% (faster|slower)", s) for s in same), same


def test_a_missing_ratio_never_prints_nan() -> None:
    frame = pd.DataFrame([{"run": "r", "device": "CPU", "model": "a", "rival": "b", "metric": "e2e_s",
                           "advantage": float("nan"), "note": "they share only 1 measured prompt", "tie": False}])
    [sentence] = head_to_head_statements(frame)
    assert "nan" not in sentence.lower() and sentence.startswith("a and b cannot be compared on end-to-end latency")


def test_ratios_are_written_with_the_precision_that_matters() -> None:
    assert [times(v) for v in (12.34, 2.14, 1.04, 0.5)] == ["12", "2.1", "1.04", "0.50"]
