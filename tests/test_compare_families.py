"""With and without GPU pairs by model family, device, execution provider and machine (issue 14).

Foundry Local's CPU and CUDA variants of one alias have different ids, and the same model served on two
machines may have two refs: before families, neither ever paired. Seeded runs with known speed-ups.
"""

from __future__ import annotations

import re
import socket

import pytest

from core.compare.devices import device_gap_message, device_speedup_frame
from core.compare.groups import build_groups
from core.compare.runs import family_of, model_refs, setup_name
from core.compare.statements import device_statements
from core.models.specs import family_tags, set_family
from store import Store
from store.queries import get_run
from store.records import ModelResult, Table
from tests.test_compare import GPU_SPEC, ModelSpec, seed_run

HERE = socket.gethostname()
CPU_VARIANT = "foundry-local:qwen2.5-0.5b-instruct-generic-cpu:4"
CUDA_VARIANT = "foundry-local:qwen2.5-0.5b-instruct-cuda-gpu:4"


def on_machine(store: Store, run_id: str, label: str, hostname: str | None = None) -> None:
    """Record ``run_id`` as measured on another machine, as an imported bundle leaves it."""
    env = get_run(store, run_id).environment
    store.update_where(Table.RUNS, {"environment": {**env, "machine": {"hostname": hostname or label,
                                                                          "label": label}}}, run_id=run_id)


def groups_of(store: Store, run_ids: list[str]):
    runs = [get_run(store, r) for r in run_ids]
    return build_groups(runs, {r: store.find(Table.SAMPLES, run_id=r) for r in run_ids}, model_refs(runs),
                        family_tags(store))


def test_a_family_is_the_recorded_one_else_the_tag_else_the_model_id() -> None:
    info = ModelResult(status="completed")
    assert family_of("ollama:qwen2.5:0.5b", info, {}) == "qwen2.5:0.5b"
    assert family_of("ollama:qwen2.5:0.5b", info, {"ollama:qwen2.5:0.5b": "qwen"}) == "qwen"
    recorded = ModelResult(status="completed", family="qwen2.5-0.5b")
    assert family_of(CPU_VARIANT, recorded, {CPU_VARIANT: "other"}) == "qwen2.5-0.5b"


def test_setup_names_say_the_device_or_the_provider_that_implies_it() -> None:
    assert setup_name("CPU", "CPUExecutionProvider") == "CPU"
    assert setup_name("GPU", "CUDAExecutionProvider") == "CUDA"
    assert setup_name("GPU", "CPUExecutionProvider") == "GPU (CPU)"  # a GPU variant that fell back
    assert setup_name("GPU", "") == "GPU"
    assert setup_name("unknown", "") == ""


def test_foundry_variants_of_one_alias_pair_across_devices(store: Store) -> None:
    cpu = seed_run(store, [ModelSpec(CPU_VARIANT, family="qwen2.5-0.5b")], seed=1)
    gpu = seed_run(store, [ModelSpec(CUDA_VARIANT, **GPU_SPEC, speed=3.0, family="qwen2.5-0.5b")], seed=2)
    groups = groups_of(store, [cpu, gpu])
    assert device_gap_message(groups) is None
    frame = device_speedup_frame(groups).set_index("metric")
    assert set(frame["family"]) == {"qwen2.5-0.5b"}
    assert set(frame["setup"]) == {f"{HERE}, CUDA"} and set(frame["baseline_setup"]) == {f"{HERE}, CPU"}
    assert set(frame["model"]) == {CUDA_VARIANT} and set(frame["baseline_model"]) == {CPU_VARIANT}
    for metric in ("e2e_s", "ttft_s", "decode_tps"):
        assert frame.loc[metric, "speedup"] == pytest.approx(3.0, rel=0.1)
        assert frame.loc[metric, "shared_prompts"] == 4 and frame.loc[metric, "beyond_noise"]


def test_endpoint_models_on_two_machines_pair_once_both_carry_one_tag(store: Store) -> None:
    laptop = seed_run(store, [ModelSpec("ollama:qwen2.5:0.5b", device="", provider="")], seed=1)
    box = seed_run(store, [ModelSpec("box:qwen2.5-0.5b-instruct", device="", provider="", speed=2.0)], seed=2)
    on_machine(store, box, "gpu-box")
    untagged = groups_of(store, [laptop, box])
    assert device_speedup_frame(untagged).empty
    gap = device_gap_message(untagged)
    assert gap is not None and "no model family ran on more than one of them" in gap and "family tag" in gap

    set_family(store, "ollama:qwen2.5:0.5b", "qwen")
    set_family(store, "box:qwen2.5-0.5b-instruct", "qwen")
    frame = device_speedup_frame(groups_of(store, [laptop, box])).set_index("metric")
    assert set(frame["setup"]) == {"gpu-box"} and set(frame["baseline_setup"]) == {HERE}  # no CPU: this machine
    assert frame.loc["e2e_s", "speedup"] == pytest.approx(2.0, rel=0.1)


def test_the_baseline_is_this_machines_cpu_when_several_machines_used_a_cpu(store: Store) -> None:
    old = seed_run(store, [ModelSpec(CPU_VARIANT, family="qwen", speed=0.5)], seed=1)
    on_machine(store, old, "aaa-old-laptop")  # first by name: the baseline must not be chosen by name alone
    here = seed_run(store, [ModelSpec(CPU_VARIANT, family="qwen")], seed=2)
    box = seed_run(store, [ModelSpec(CUDA_VARIANT, **GPU_SPEC, speed=3.0, family="qwen")], seed=3)
    on_machine(store, box, "gpu-box")
    frame = device_speedup_frame(groups_of(store, [old, here, box]))
    assert set(frame["baseline_setup"]) == {f"{HERE}, CPU"}
    e2e = frame[frame["metric"] == "e2e_s"].set_index("setup")["speedup"]
    assert e2e["gpu-box, CUDA"] == pytest.approx(3.0, rel=0.1)
    assert e2e["aaa-old-laptop, CPU"] == pytest.approx(0.5, rel=0.1)
    sentences = device_statements(frame)
    assert any(re.fullmatch(rf"qwen on gpu-box, CUDA is (2\.[7-9]|3\.[0-3])x as fast end to end as on "
                            rf"{re.escape(HERE)}, CPU \(95% CI \d\.\d-\d\.\dx, 10 requests each over 4 shared "
                            r"prompts\)\.", s) for s in sentences), sentences
    assert any(re.match(rf"qwen on aaa-old-laptop, CPU is (1\.9|2\.0|2\.1)x slower end to end than on "
                        rf"{re.escape(HERE)}, CPU", s) for s in sentences), sentences
