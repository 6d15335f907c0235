"""The done-means fixture of issue 14: a run bundle recorded as a GPU run on "gpu-box", made from a REAL run.

Ground truth by construction. Two real runs (the real runner, its child process, the real OpenAI-compatible
engine) ask the same fake server (``tests.fake_openai_server``, fixed TTFT and token interval) the same
prompts: the laptop's run, and the one that becomes the bundle. The bundle's run is then rewritten as a GPU
box would have recorded it, every timing faster by exactly ``K``: TTFT, latency and inter-token times / K,
tokens/s x K (its summary recomputed the runner's way), on device GPU with CUDAExecutionProvider, machine
"gpu-box", in the family both sides share; then re-checksummed with ``core.bundles.checksum``.

The same run is also written unchanged as "cpu-box" (``k = 1``, CPU). Two real runs differ by their timing
noise, so the interval of gpu-box over the laptop misses K now and then (a 95% interval, by design); what
holds exactly, on every run, is that gpu-box's speed-up and both ends of its interval are K times cpu-box's:
the known factor, recovered over the same pairing. The tests check that, and that the stated speed-up is
near K.

An endpoint engine cannot know which device serves it, so ``real_run`` records the device the fake server
stands for (CPU for the laptop) once the run is done: the one thing a test here sets by hand, named.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Any

import orjson

from core.benchmark.metrics import summarize_samples
from core.benchmark.runner import create_run, execute_run
from core.benchmark.settings import BenchmarkSettings
from core.bundles import checksum, export_bundle
from core.models.sources import add_endpoint
from core.models.specs import set_family
from store import Store
from store.records import Table
from tests.fake_openai_server import FakeOpenAIServer, Scenario

K = 3.0
FAMILY = "qwen2.5-0.5b"
GPU_BOX = "gpu-box"
CPU_BOX = "cpu-box"
NEAR = 1.25  # two real runs of the same fake server differ by their timing noise: well inside this factor
CUDA = "CUDAExecutionProvider"
LAPTOP_REF = "laptop-ollama:fake-model"
BOX_REF = "box-ollama:fake-model"
PROMPTS = [{"id": f"q{i}", "prompt": f"Name {i + 2} benefits of local inference."} for i in range(5)]
SCENARIO = Scenario(n_tokens=10, ttft_s=0.04, token_interval_s=0.008)  # ~0.11 s a request
SLOWER = ("ttft_s", "ttfa_s", "e2e_s", "itl_mean_s", "itl_p95_s")  # divided by K on the GPU
FASTER = ("decode_tps",)  # multiplied by K


class _Control:
    """A run nobody cancels, whose progress nobody reads."""

    cancelled = False

    def progress(self, done: float, total: float | None, message: str = "", *, force: bool = False) -> None:
        pass


def real_run(store: Store, server: FakeOpenAIServer, ref: str, *, device: str = "CPU",
             provider: str = "CPUExecutionProvider") -> str:
    """A real benchmark run of ``ref`` (an endpoint at ``server``, tagged ``FAMILY``); returns its id.

    The device the fake server stands for is recorded after the run (an endpoint reports none)."""
    source = ref.partition(":")[0]
    add_endpoint(store, source, server.base_url)
    set_family(store, ref, FAMILY)
    settings = BenchmarkSettings(models=[ref], prompts=PROMPTS, prompt_set_name="Local inference", warmup=1,
                                 rounds=2, max_output_tokens=SCENARIO.n_tokens, timeout_s=10.0)
    run_id = create_run(store, settings)
    execute_run(store, run_id, _Control())
    (doc,) = store.find(Table.RUNS, run_id=run_id)
    models = {r: info | {"device": device, "execution_provider": provider} for r, info in doc["models"].items()}
    store.update_where(Table.RUNS, {"models": models}, run_id=run_id)
    return run_id


def _faster(sample: dict[str, Any], k: float) -> dict[str, Any]:
    changed = {name: sample[name] / k for name in SLOWER if sample.get(name) is not None}
    changed |= {name: sample[name] * k for name in FASTER if sample.get(name) is not None}
    return sample | changed


def as_recorded_on(bundle: bytes, machine: str, device: str, provider: str, k: float) -> bytes:
    """``bundle`` (one run of ``BOX_REF``) as ``machine`` would have recorded it: every timing ``k`` times as
    fast, on ``device`` with ``provider``, in ``FAMILY``; re-checksummed."""
    body = orjson.loads(bundle)
    (entry,) = body["runs"]
    run = entry["run"]
    entry["samples"] = [_faster(s, k) for s in entry["samples"]]
    level = min(run["settings"].get("concurrency") or [1])
    primary = [s for s in entry["samples"] if s.get("concurrency", 1) == level]
    for info in run["models"].values():
        info.update({"device": device, "execution_provider": provider, "family": FAMILY,
                     "summary": summarize_samples(primary, seed=run["settings"].get("seed") or 0)})
        if info.get("first_request_s") is not None:
            info["first_request_s"] /= k
    run["run_id"] = hashlib.sha256(f"{run['run_id']} on {machine}".encode()).hexdigest()[:12]  # two copies, two ids
    for docs in (value for value in entry.values() if isinstance(value, list)):  # samples, judgments, ...
        for doc in docs:
            doc["run_id"] = run["run_id"]
    run["environment"] = {**run["environment"], "machine": {"hostname": machine, "label": machine}}
    body["checksum"] = checksum(body)
    return orjson.dumps(body)


def box_bundles(server: FakeOpenAIServer, folder: Path | None = None) -> tuple[bytes, bytes]:
    """The fixture bundles: one real run of ``BOX_REF`` against ``server`` in a store of its own, exported and
    rewritten as gpu-box's (``K`` times as fast, CUDA) and as cpu-box's (unchanged, CPU)."""
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        box = Store(Path(tmp) / "gpu-box.json")
        run_id = real_run(box, server, BOX_REF)
        exported = export_bundle(box, [run_id], label=GPU_BOX)
    return (as_recorded_on(exported, GPU_BOX, "GPU", CUDA, K),
            as_recorded_on(exported, CPU_BOX, "CPU", "CPUExecutionProvider", 1.0))


def write_fixture(folder: Path) -> tuple[Path, Path, str]:
    """Into ``folder``: a laptop store with a real CPU run of ``LAPTOP_REF`` and the two bundle files beside it.

    Returns (the gpu-box bundle, the cpu-box bundle, the laptop's run id); the store is
    ``folder / "pickwise.json"``."""
    with FakeOpenAIServer(SCENARIO) as server:
        laptop = Store(folder / "pickwise.json")
        cpu_run = real_run(laptop, server, LAPTOP_REF)
        gpu, cpu = box_bundles(server, folder)
    gpu_path, cpu_path = folder / "gpu-box.bundle.json", folder / "cpu-box.bundle.json"
    gpu_path.write_bytes(gpu)
    cpu_path.write_bytes(cpu)
    return gpu_path, cpu_path, cpu_run
