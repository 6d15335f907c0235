"""Compare statistics on stored-run-shaped data, plus ``seed_run``: runs written the way the runner writes them.

``seed_run`` records the run with ``core.benchmark.runner.create_run`` and each model's entry with the runner's
own ``model_figures``, so the pages and tests read exactly the shape a real benchmark leaves behind.
The other Compare tests (AppTest, Playwright) and ``benchmarks/compare_render.py`` import it from here.
"""

from __future__ import annotations

import random
import socket
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
import pytest

from core.benchmark.metrics import SampleTiming, summarize_samples
from core.benchmark.runner import create_run, model_figures
from core.benchmark.settings import BenchmarkSettings
from core.compare.baseline import baseline_change_frame
from core.compare.devices import device_gap_message, device_speedup_frame
from core.compare.groups import build_groups, distribution_frame, summary_frame
from core.compare.pairing import NO_SHARED_PROMPT, advantage
from core.compare.ratios import paired_ratio
from core.compare.responses import prompt_texts, responses
from core.compare.runs import RunFilter, model_refs
from core.jobs import utc_now
from store import Store
from store.queries import benchmark_runs, get_run
from store.records import Table

HTML_ANSWER = "<b>bold</b> **not markdown** <script>alert(1)</script>"


@dataclass
class ModelSpec:
    """One model in a seeded run: how fast it is on which device, and which answers set it apart."""

    ref: str
    device: str = "cpu"
    provider: str = "CPUExecutionProvider"
    speed: float = 1.0  # higher = faster
    rss_load_mb: float | None = 300.0
    disk_mb: float | None = 120.0
    unique_answers: set[str] = field(default_factory=set)
    failing: bool = False
    family: str | None = None  # as the runner records it (Foundry Local's alias, or the user's tag)

    def answer(self, prompt_id: str) -> str:
        if prompt_id in self.unique_answers:
            return f"{self.ref} has its own view on {prompt_id}. {HTML_ANSWER}"
        return f"The answer to {prompt_id} is forty-two."


def _sample(run_id: str, spec: ModelSpec, prompt_id: str, round_no: int, warmup: bool, *,
            e2e: float, ttft: float, tps: float, error: str | None = None) -> dict:
    """A sample dict as ``_ModelRunner._request`` builds it."""
    tokens = 64
    measured = {"ttft_s": ttft, "ttfa_s": ttft, "e2e_s": e2e, "decode_tps": tps, "itl_mean_s": 1 / tps,
                "itl_p95_s": 1.5 / tps, "text": spec.answer(prompt_id), "reasoning_text": "", "prompt_tokens": 20,
                "completion_tokens": tokens, "token_source": "engine", "finish_reason": "stop", "n_deltas": tokens}
    if error:  # a failed stream measured nothing
        measured = {name: "" if name.endswith("text") else 0 if name == "n_deltas" else None for name in measured}
    timing = SampleTiming(**measured)
    return {"run_id": run_id, "model_ref": spec.ref, "prompt_id": prompt_id, "round": round_no, "warmup": warmup,
            "concurrency": 1, "error": error, "created_at": utc_now(), **timing.as_dict()}


def _model_samples(run_id: str, spec: ModelSpec, settings: BenchmarkSettings, rng: random.Random,
                   slowdown: float) -> list[dict]:
    """Warm-up then rounds; prompt i is (1 + i/2) times as slow; 5% noise; every 7th request fails."""
    plan = [(-w - 1, p, True) for w in range(settings.warmup) for p in settings.prompts]
    plan += [(r, p, False) for r in range(settings.rounds) for p in settings.prompts]
    samples = []
    for i, (round_no, prompt, warmup) in enumerate(plan):
        scale = (1 + 0.5 * settings.prompts.index(prompt)) * slowdown / spec.speed
        noise = 1 + rng.gauss(0, 0.05)
        error = "engine said no" if spec.failing or (not warmup and i % 7 == 6) else None
        samples.append(_sample(run_id, spec, prompt["id"], round_no, warmup, e2e=1.5 * scale * noise,
                               ttft=0.12 * scale * noise, tps=40 * spec.speed / slowdown / noise, error=error))
    return samples


def seed_run(
    store: Store, models: list[ModelSpec], *, prompts: int = 4, rounds: int = 3, warmup: int = 1, seed: int = 0,
    slowdown: float = 1.0, prompt_set: str = "Seeded set", created_at: str | None = None,
    prompt_text: str = "Question number {i}?",
) -> str:
    """A completed benchmark run with its samples, stored as the runner stores one; returns its id.

    Prompt ``i`` has id ``p{i}`` and the text ``prompt_text.format(i=i)`` (so two runs can ask different
    questions under the same ids)."""
    settings = BenchmarkSettings(
        models=[m.ref for m in models], prompt_set_name=prompt_set, warmup=warmup, rounds=rounds,
        prompts=[{"id": f"p{i}", "prompt": prompt_text.format(i=i)} for i in range(prompts)],
    )
    run_id = create_run(store, settings)
    rng = random.Random(seed)
    records = {}
    for spec in models:
        samples = _model_samples(run_id, spec, settings, rng, slowdown)
        store.insert_many(Table.SAMPLES, samples)
        in_process = spec.rss_load_mb is not None  # an endpoint's server is not ours to measure: no peak either
        figures = model_figures(samples, settings, in_process, (spec.rss_load_mb or 0) * 1.3, None)
        records[spec.ref] = {
            "status": "failed" if spec.failing else "completed", "error": None, "load_s": 1.2,
            "already_loaded": False, "device": spec.device, "execution_provider": spec.provider,
            "rss_load_mb": spec.rss_load_mb, "gpu_load_mb": None, "disk_mb": spec.disk_mb,
            "gpu_fallback_suspected": False, "family": spec.family, **figures, "throughput_by_concurrency": {"1": 40.0},
        }
    fields = {"status": "completed", "started_at": utc_now(), "finished_at": utc_now(), "models": records}
    if created_at:
        fields["created_at"] = created_at
    store.update_where(Table.RUNS, fields, run_id=run_id)
    return run_id


SMALL = "foundry-local:small:1"
LARGE = "ollama:large"


def _groups(store: Store, run_ids: list[str], models: list[str] | None = None):
    runs = [get_run(store, r) for r in run_ids]
    samples = {r: store.find(Table.SAMPLES, run_id=r) for r in run_ids}
    return build_groups(runs, samples, models or model_refs(runs))


# ------------------------------------------------------------------ groups and frames


def test_groups_count_only_measured_requests_and_match_core_metrics(store: Store) -> None:
    run_id = seed_run(store, [ModelSpec(SMALL), ModelSpec(LARGE, speed=0.5)])
    groups = _groups(store, [run_id])
    assert [(g.model_ref, g.device) for g in groups] == [(SMALL, "CPU"), (LARGE, "CPU")]
    small = groups[0]
    stored = store.find(Table.SAMPLES, run_id=run_id, model_ref=SMALL)
    measured = [s for s in stored if not s["warmup"] and not s["error"]]
    assert 0 < small.n == len(measured) < len(stored)
    assert sorted(small.values("e2e_s")) == sorted(s["e2e_s"] for s in measured)
    assert small.summary == summarize_samples(stored, seed=42)  # the stored one, identical to a recomputation


def test_summary_is_recomputed_when_the_run_has_none_yet(store: Store) -> None:
    run_id = seed_run(store, [ModelSpec(SMALL)])
    run = get_run(store, run_id)
    assert run is not None
    run.models[SMALL].summary = None  # a model still running
    samples = store.find(Table.SAMPLES, run_id=run_id)
    group = build_groups([run], {run_id: samples}, [SMALL])[0]
    assert group.summary == summarize_samples(samples, seed=42)


def test_summary_and_distribution_frames(store: Store) -> None:
    groups = _groups(store, [seed_run(store, [ModelSpec(SMALL), ModelSpec(LARGE)])])
    summary = summary_frame(groups).set_index("model")
    tps = groups[0].metric("decode_tps")
    assert summary.loc[SMALL, "tps_ci95_low"] == tps["ci95_low"]
    assert summary.loc[SMALL, "e2e_p95_s"] == groups[0].metric("e2e_s")["p95"]
    assert summary.loc[SMALL, "disk_mb"] == 120.0
    dist = distribution_frame(groups, "ttft_s")
    assert len(dist) == groups[0].n + groups[1].n
    assert set(dist["n"]) == {groups[0].n}


def test_run_filter_by_prompt_set_device_and_date(store: Store) -> None:
    cpu = seed_run(store, [ModelSpec(SMALL)], prompt_set="A", created_at="2026-01-05T10:00:00+00:00")
    gpu = seed_run(store, [ModelSpec(SMALL, device="GPU", provider="CUDAExecutionProvider")], prompt_set="B",
                   created_at="2026-02-05T10:00:00+00:00")
    runs = benchmark_runs(store)
    assert [r.run_id for r in runs] == [gpu, cpu]  # newest first

    def ids(flt: RunFilter) -> list[str]:
        return [r.run_id for r in runs if flt.matches(r)]

    assert ids(RunFilter(prompt_sets=frozenset({"A"}))) == [cpu]
    assert ids(RunFilter(devices=frozenset({"GPU"}))) == [gpu]
    assert ids(RunFilter(start=date(2026, 2, 1))) == [gpu]
    assert ids(RunFilter(end=date(2026, 1, 31))) == [cpu]
    assert ids(RunFilter()) == [gpu, cpu]


# ------------------------------------------------------------------ ratios


def test_a_speedup_is_oriented_so_that_above_one_is_better(store: Store) -> None:
    """Latency: reference time / subject time; tokens/s: subject rate / reference rate."""
    cpu = seed_run(store, [ModelSpec(SMALL)], seed=1)
    gpu = seed_run(store, [ModelSpec(SMALL, **GPU_SPEC, speed=2.0)], seed=2)
    slow, fast = _groups(store, [cpu, gpu])
    for metric in ("e2e_s", "ttft_s", "decode_tps"):
        faster = advantage([slow], [fast], metric)
        assert faster.ratio is not None and faster.ratio.value == pytest.approx(2.0, rel=0.1), metric
        assert faster.shared_prompts == 4 and faster.note is None
        slower = advantage([fast], [slow], metric).ratio
        assert slower is not None and slower.value == pytest.approx(1 / faster.ratio.value)


def test_paired_ratio_sees_a_small_shift_that_prompt_spread_would_hide() -> None:
    rng = np.random.default_rng(2)
    base = {f"p{i}": list(rng.normal(1 + i, 0.02, 5)) for i in range(6)}  # prompts differ 6x, rounds 2%
    slower = {p: [v * 1.05 for v in rng.permutation(vals)] for p, vals in base.items()}
    ratio = paired_ratio(base, slower)
    assert ratio.value == pytest.approx(1.05) and ratio.beyond_noise
    assert not paired_ratio(base, {p: list(rng.permutation(v)) for p, v in base.items()}).beyond_noise
    assert paired_ratio({"p0": [1.0, 1.1]}, {"p0": [1.0, 1.2]}) is None  # one shared prompt is not enough


def test_device_speedups_and_the_message_when_there_is_one_device(store: Store) -> None:
    cpu = seed_run(store, [ModelSpec(SMALL), ModelSpec(LARGE)], seed=1)
    only_cpu = _groups(store, [cpu])
    assert device_gap_message(only_cpu) == (
        f"All selected runs ran on {socket.gethostname()}, CPU; run the same model on a GPU to compare (a run from "
        "another machine comes in as a bundle: Runs from another machine, above).")
    assert device_speedup_frame(only_cpu).empty

    gpu = seed_run(store, [ModelSpec(SMALL, device="GPU", provider="CUDAExecutionProvider", speed=3.0)], seed=2)
    both = _groups(store, [cpu, gpu])
    assert device_gap_message(both) is None
    frame = device_speedup_frame(both).set_index("metric")
    assert set(frame["model"]) == {SMALL} and set(frame["device"]) == {"GPU"}
    assert set(frame["baseline_device"]) == {"CPU"}
    for metric in ("e2e_s", "ttft_s", "decode_tps"):
        assert frame.loc[metric, "speedup"] == pytest.approx(3.0, rel=0.1)
        assert frame.loc[metric, "beyond_noise"]


def test_baseline_comparison_flags_a_regression_and_not_noise(store: Store) -> None:
    base = seed_run(store, [ModelSpec(SMALL), ModelSpec(LARGE)], seed=1, rounds=8)
    again = seed_run(store, [ModelSpec(SMALL), ModelSpec(LARGE)], seed=4, rounds=8)  # same speed, new noise
    slower = seed_run(store, [ModelSpec(SMALL), ModelSpec(LARGE)], seed=3, rounds=8, slowdown=1.3)
    groups = _groups(store, [base, again, slower])
    frame = baseline_change_frame([g for g in groups if g.run_id == base], [g for g in groups if g.run_id != base])
    assert len(frame) == 2 * 2 * 3  # two runs x two models x three metrics
    same = frame[frame["run"] == again]
    assert set(same["verdict"]) == {"within noise"}
    worse = frame[frame["run"] == slower].set_index(["model", "metric"])
    assert set(worse["verdict"]) == {"worse"}
    assert worse.loc[(SMALL, "e2e_s"), "change_pct"] == pytest.approx(30, abs=5)
    assert worse.loc[(SMALL, "decode_tps"), "change_pct"] < 0


# ------------------------------------------------------------------ responses


def test_responses_side_by_side_and_differences_only(store: Store) -> None:
    run_id = seed_run(store, [ModelSpec(SMALL), ModelSpec(LARGE, unique_answers={"p2"})])
    groups = _groups(store, [run_id])
    prompts = prompt_texts([get_run(store, run_id)])
    rows = responses(groups, prompts)
    assert [r.prompt_id for r in rows] == ["p0", "p1", "p2", "p3"]
    assert rows[0].answers[groups[0].key] == "The answer to p0 is forty-two."
    different = responses(groups, prompts, differences_only=True)
    assert [r.prompt_id for r in different] == ["p2"]
    assert HTML_ANSWER in different[0].answers[groups[1].key]


def test_a_model_whose_requests_all_failed_has_no_measured_request(store: Store) -> None:
    run_id = seed_run(store, [ModelSpec(SMALL), ModelSpec(LARGE, failing=True)])
    failed = _groups(store, [run_id])[1]
    assert failed.n == 0
    assert responses([failed], {"p0": "?"})[0].answers[failed.key] == "(failed: engine said no)"


# ------------------------------------------------------------------ pairing over shared prompts (issue 12, defect 4)

GPU_SPEC = {"device": "GPU", "provider": "CUDAExecutionProvider"}


def test_a_device_speedup_pairs_only_the_prompts_both_runs_asked(store: Store) -> None:
    """The same speed on both devices, the GPU run over 8 prompts (4 of them longer): the truth is 1.0."""
    cpu = seed_run(store, [ModelSpec(SMALL)], seed=1, prompts=4)
    gpu = seed_run(store, [ModelSpec(SMALL, **GPU_SPEC)], seed=2, prompts=8)
    frame = device_speedup_frame(_groups(store, [cpu, gpu])).set_index("metric")
    for metric in ("e2e_s", "ttft_s", "decode_tps"):
        row = frame.loc[metric]
        assert row["shared_prompts"] == 4, metric
        assert row["speedup"] == pytest.approx(1.0, abs=0.08), metric
        assert row["ci95_low"] <= 1 <= row["ci95_high"] and not row["beyond_noise"], metric


def test_a_prompt_with_the_same_id_but_another_text_is_not_shared(store: Store) -> None:
    cpu = seed_run(store, [ModelSpec(SMALL)], seed=1, prompts=4)
    gpu = seed_run(store, [ModelSpec(SMALL, **GPU_SPEC, speed=2.0)], seed=2, prompts=4,
                   prompt_text="Another question {i}?")
    row = device_speedup_frame(_groups(store, [cpu, gpu])).iloc[0]
    assert row["shared_prompts"] == 0 and pd.isna(row["speedup"]) and not row["beyond_noise"]
    assert row["note"] == NO_SHARED_PROMPT


def test_a_baseline_change_pairs_only_shared_prompts_and_says_so(store: Store) -> None:
    base = seed_run(store, [ModelSpec(SMALL)], seed=1, prompts=4, rounds=3)
    longer = seed_run(store, [ModelSpec(SMALL)], seed=2, prompts=8, rounds=3)
    other = seed_run(store, [ModelSpec(SMALL)], seed=3, prompts=4, prompt_text="Another question {i}?")
    groups = _groups(store, [base, longer, other])
    frame = baseline_change_frame([g for g in groups if g.run_id == base], [g for g in groups if g.run_id != base])
    same = frame[frame["run"] == longer]
    assert set(same["shared_prompts"]) == {4} and set(same["verdict"]) == {"within noise"}
    assert (same["change_pct"].abs() < 8).all()
    refused = frame[frame["run"] == other]
    assert set(refused["shared_prompts"]) == {0} and set(refused["note"]) == {NO_SHARED_PROMPT}
    assert refused["change_pct"].isna().all()


def test_decides_top_two_are_compared_in_words_across_their_own_runs(store: Store) -> None:
    """Decide takes each model's figures from its own newest run: the two are paired over the prompts both
    runs asked, and a pair with no shared prompt says so instead of comparing different questions."""
    from core.compare.head_to_head import statements_between

    small_run = seed_run(store, [ModelSpec(SMALL, speed=2.0)], prompts=6, seed=5)
    large_run = seed_run(store, [ModelSpec(LARGE)], prompts=6, seed=6)
    said = statements_between(store, (SMALL, small_run), (LARGE, large_run))
    assert len(said) == 3
    assert said[1].startswith(f"{SMALL} is 2.0x faster end to end than {LARGE} (95% CI ")
    assert f"over 6 shared prompts in run {small_run} and {large_run}" in said[1]

    other = seed_run(store, [ModelSpec(LARGE)], prompts=6, seed=7, prompt_text="Another question {i}?")
    assert all(NO_SHARED_PROMPT in s for s in statements_between(store, (SMALL, small_run), (LARGE, other)))
