"""GPU truth: NVML readings reach the run record, and a GPU variant that quietly ran on the CPU is named.

The GPU is ``tests/fake_nvml.py`` (known readings, scripted call by call, optional NVML errors), selected
through the environment so the model's own process uses it too; the runs are real (the runner, a child
process per model, ``tests/fake_openai_server.py`` answering through ``tests/gpu_variant_engine.py``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from core.benchmark import gpu
from core.benchmark.environment import machine_environment
from core.benchmark.run_summary import gpu_lines, run_summary_frame
from core.benchmark.runner import create_run, execute_run
from core.paths import REPO_ROOT
from store import Store, queries
from tests import fake_nvml, gpu_variant_engine
from tests.fake_openai_server import FakeOpenAIServer, Scenario
from tests.test_benchmark import PROMPTS, _Control, _settings

RTX = {"name": "Fake RTX 4090", "total_mb": 24564}
ENERGY_ERROR = ["nvmlDeviceGetTotalEnergyConsumption"]


@pytest.fixture(autouse=True)
def fresh_nvml() -> Iterator[None]:
    """NVML starts once per process: each test starts it afresh with its own (fake) GPUs."""
    gpu.nvml.cache_clear()
    machine_environment.cache_clear()
    yield
    gpu.nvml.cache_clear()
    machine_environment.cache_clear()


def _use(monkeypatch: pytest.MonkeyPatch, devices: list[dict], init_error: bool = False) -> None:
    for name, value in fake_nvml.script(devices, init_error).items():
        monkeypatch.setenv(name, value)


# ------------------------------------------------------------------ readings


def test_readings_sum_memory_and_energy_over_gpus_and_take_the_busiest(monkeypatch: pytest.MonkeyPatch) -> None:
    _use(monkeypatch, [{**RTX, "used_mb": [1000], "util_pct": [20], "energy_mj": [4000]},
                       {**RTX, "name": "Fake A100", "used_mb": [512], "util_pct": [90], "energy_mj": [6000]}])
    assert gpu.memory_used_mb() == 1512
    assert gpu.utilisation_pct() == 90
    assert gpu.energy_mj() == 10000


def test_free_memory_is_the_most_on_any_one_gpu_from_the_same_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    """Will-it-fit compares a GPU variant with one GPU's free memory, read together with the memory in use."""
    _use(monkeypatch, [{**RTX, "used_mb": [1000, 9999]}, {**RTX, "name": "Fake A100", "used_mb": [20000, 9999]}])
    reading = gpu.memory_reading()
    assert reading == gpu.MemoryReading(used_mb=21000, free_mb=RTX["total_mb"] - 1000)


def test_the_environment_lists_the_gpus_by_name_and_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    _use(monkeypatch, [{**RTX, "used_mb": [0]}])
    assert machine_environment()["gpus"] == ["Fake RTX 4090, 24564 MiB"]


@pytest.mark.parametrize("case", ["no driver", "no GPU", "no such module"])
def test_without_nvml_every_reading_is_none_and_the_lists_empty(monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    if case == "no such module":
        monkeypatch.setenv(gpu.NVML_MODULE_ENV, "tests.no_such_nvml")
    else:
        _use(monkeypatch, [] if case == "no GPU" else [{**RTX, "used_mb": [1]}], init_error=case == "no driver")
    assert (gpu.memory_used_mb(), gpu.utilisation_pct(), gpu.energy_mj()) == (None, None, None)
    assert gpu.gpus() == []
    assert machine_environment()["gpus"] == []
    with gpu.GpuSampler(before_mb=None) as seen:
        pass
    assert set(seen.figures().values()) == {None}


def test_nvml_errors_are_no_reading_never_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    """One GPU without an energy counter (pre-Volta) makes the sum unknown, not smaller; a name NVML cannot read
    still lists the GPU."""
    _use(monkeypatch, [{**RTX, "used_mb": [100], "util_pct": [5], "energy_mj": [1000]},
                       {**RTX, "used_mb": [100], "util_pct": [5], "errors": [*ENERGY_ERROR, "nvmlDeviceGetName",
                                                                               "nvmlDeviceGetUtilizationRates"]}])
    assert gpu.energy_mj() is None
    assert gpu.utilisation_pct() is None
    assert gpu.memory_used_mb() == 200
    assert [g.name for g in gpu.gpus()] == ["Fake RTX 4090", "NVIDIA GPU (name not readable)"]


def test_the_sampler_keeps_the_peak_added_the_mean_and_max_utilisation_and_the_energy(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Readings at entry, one in between, at exit (the timer never fires in an hour): known figures."""
    _use(monkeypatch, [{**RTX, "used_mb": [1800, 2600, 2000], "util_pct": [40, 80, 60],
                        "energy_mj": [5_000_000, 5_012_500]}])
    with gpu.GpuSampler(before_mb=1000, interval_s=3600) as seen:
        seen.sample()
    assert seen.figures() == {"gpu_peak_mb": 1600, "gpu_util_mean_pct": 60, "gpu_util_max_pct": 80,
                              "gpu_energy_j": 12.5}


# ------------------------------------------------------------------ the fallback verdict


@pytest.mark.parametrize(("device", "provider", "model_id", "load_mb", "peak_mb", "busy", "verdict", "words"), [
    ("GPU", "CUDAExecutionProvider", "m-cuda-gpu:1", 500, 1300, 73, False, "it ran on the GPU"),
    ("GPU", "CPUExecutionProvider", "m-cuda-gpu:1", 500, 1300, 73, True, "it ran on the CPU"),
    (None, "CPUExecutionProvider", "qwen2.5-0.5b-instruct-generic-gpu:4", None, None, None, True, "ran on the CPU"),
    ("GPU", "CUDAExecutionProvider", "m-cuda-gpu:1", 0, 3, 0, True, "probably ran on the CPU"),
    ("GPU", "CUDAExecutionProvider", "m-cuda-gpu:1", None, None, None, None, "Not checkable"),
    ("GPU", "DmlExecutionProvider", "m-gpu:1", 0, 0, 45, False, "at most 45% utilisation"),
])
def test_fallback_verdicts(device, provider, model_id, load_mb, peak_mb, busy, verdict, words) -> None:
    found = gpu.fallback_verdict(device, provider, model_id, load_mb=load_mb, peak_mb=peak_mb,
                                 utilisation_max_pct=busy)
    assert found.fell_back is verdict
    assert words in (found.note or "")


def test_a_cpu_variant_is_not_checked() -> None:
    found = gpu.fallback_verdict("CPU", "CPUExecutionProvider", "m-generic-cpu:1", load_mb=0, peak_mb=0,
                                 utilisation_max_pct=0)
    assert (found.fell_back, found.note) == (None, None)


# ------------------------------------------------------------------ end to end: a real run


BUSY_GPU = {**RTX, "used_mb": [1000, 1500, 2300, 1900], "util_pct": [73], "energy_mj": [5_000_000, 5_012_500]}
IDLE_GPU = {**RTX, "used_mb": [1000], "util_pct": [0], "energy_mj": [5_000_000]}


@pytest.mark.parametrize(("model", "devices", "init_error", "figures", "verdict", "words"), [
    pytest.param("GPU.CUDAExecutionProvider", [BUSY_GPU], False,
                 {"gpu_load_mb": 500, "gpu_peak_mb": 1300, "gpu_util_mean_pct": 73, "gpu_util_max_pct": 73,
                  "gpu_energy_j": 12.5}, False, "it ran on the GPU", id="on the GPU"),
    pytest.param("GPU.CPUExecutionProvider", [BUSY_GPU], False, {"gpu_load_mb": 500}, True,
                 "A GPU variant loaded on CPUExecutionProvider", id="GPU variant on the CPU EP"),
    pytest.param("GPU.CUDAExecutionProvider", [IDLE_GPU], False,
                 {"gpu_load_mb": 0, "gpu_peak_mb": 0, "gpu_util_max_pct": 0, "gpu_energy_j": 0}, True,
                 "probably ran on the CPU", id="GPU EP, GPU idle"),
    pytest.param("GPU.CUDAExecutionProvider", [BUSY_GPU], True,
                 {"gpu_load_mb": None, "gpu_peak_mb": None, "gpu_util_mean_pct": None, "gpu_energy_j": None}, None,
                 "Not checkable", id="no NVML"),
    pytest.param("GPU.CUDAExecutionProvider", [{**BUSY_GPU, "errors": ENERGY_ERROR}], False,
                 {"gpu_load_mb": 500, "gpu_peak_mb": 1300, "gpu_energy_j": None}, False, "it ran on the GPU",
                 id="no energy counter"),
])
def test_gpu_readings_and_the_verdict_reach_the_run_record(store: Store, monkeypatch: pytest.MonkeyPatch, model: str,
                                                           devices: list[dict], init_error: bool, figures: dict,
                                                           verdict: bool | None, words: str) -> None:
    _use(monkeypatch, devices, init_error)
    ref = f"{gpu_variant_engine.SOURCE}:{model}"
    with FakeOpenAIServer(Scenario(n_tokens=4)) as server:
        for name, value in gpu_variant_engine.environment(server.base_url).items():
            monkeypatch.setenv(name, value)
        run_id = create_run(store, _settings([ref], prompts=PROMPTS[:1], rounds=2, warmup=0))
        execute_run(store, run_id, _Control())

    run = queries.get_run(store, run_id)
    assert run is not None
    record = run.models[ref]
    assert record.status == "completed"
    assert {field: getattr(record, field) for field in figures} == figures
    assert record.gpu_fallback_suspected is verdict
    assert words in (record.gpu_fallback_note or "")
    assert gpu_lines(run) == [f"{ref}: {record.gpu_fallback_note}"]
    assert words in run_summary_frame(run, queries.run_samples(store, run_id))["notes"][0]
    assert run.environment["gpus"] == ([] if init_error else ["Fake RTX 4090, 24564 MiB"])


# ------------------------------------------------------------------ benchmarks/gpu_check.py


def _gpu_check(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO_ROOT / "benchmarks" / "gpu_check.py"), *args],
                          capture_output=True, text=True, timeout=60, env={**os.environ, **env}, check=False)


def test_gpu_check_skips_in_one_line_without_a_gpu() -> None:
    done = _gpu_check(env=fake_nvml.script([], init_error=True))
    assert (done.returncode, done.stdout) == (0, "no NVIDIA GPU found through NVML; nothing to check\n")


def test_gpu_check_reports_device_provider_memory_energy_and_the_verdict(tmp_path) -> None:
    with FakeOpenAIServer(Scenario(n_tokens=4)) as server:
        done = _gpu_check("--model", f"{gpu_variant_engine.SOURCE}:GPU.CUDAExecutionProvider", "--rounds", "1",
                          "--db", str(tmp_path / "pickwise.json"),
                          env={**fake_nvml.script([BUSY_GPU]), **gpu_variant_engine.environment(server.base_url)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "GPUs (NVML): Fake RTX 4090, 24564 MiB",
        "Model: gpuvariant:GPU.CUDAExecutionProvider (completed)",
        "Device: GPU · execution provider: CUDAExecutionProvider",
        "GPU memory added at load: 500.0 MB · peak added while answering: 1,300.0 MB",
        "GPU utilisation while answering: mean 73.0%, max 73.0%",
        done.stdout.splitlines()[5],  # tokens/s vary
        "Fallback verdict: ran on the GPU. CUDAExecutionProvider with 1,300 MB of GPU memory added and at most 73% "
        "utilisation while answering: it ran on the GPU.",
    ]
    assert done.stdout.splitlines()[5].startswith("GPU energy while answering: 12.5 J · decode tokens/s (mean): ")
