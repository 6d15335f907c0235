"""What a worker process costs before it does anything: from ``start_worker_job`` to the worker's first store write.

Each repetition starts a real benchmark job (one request to a local fake endpoint, ``tests/fake_openai_server.py``)
through ``core.workers.spawn.start_worker_job`` on a fresh store file, and times with a monotonic clock:

* **spawn**: ``start_worker_job`` itself (record the job, fork and exec the worker, name it as the job's owner);
* **first write**: from calling ``start_worker_job`` until the worker's first write lands in the store file (it
  writes its identity on the job as soon as it has imported its code and opened the store), seen by polling the
  file's modification time every 0.2 ms;
* **job end**: until the job's record says ``completed`` (the request itself takes a few ms);
* for reference, a bare ``python -c pass`` and ``python -c "import core.workers.worker"`` in a fresh interpreter.

    .venv/bin/python benchmarks/worker_startup.py [--repeat 15] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.benchmark.environment import machine_environment  # noqa: E402
from core.benchmark.runner import create_run  # noqa: E402
from core.benchmark.settings import BenchmarkSettings  # noqa: E402
from core.jobs import get_job  # noqa: E402
from core.models.sources import add_endpoint  # noqa: E402
from core.paths import REPO_ROOT  # noqa: E402
from core.workers.spawn import start_worker_job  # noqa: E402
from store import Store  # noqa: E402
from store.records import JobKinds  # noqa: E402
from tests.fake_openai_server import FakeOpenAIServer, Scenario  # noqa: E402


def _fresh_interpreter_s(code: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, check=True)
    return time.perf_counter() - started


def _one(base_url: str, folder: Path) -> dict[str, float]:
    store = Store(folder / "pickwise.json")
    add_endpoint(store, "fake", base_url)
    run_id = create_run(store, BenchmarkSettings(models=["fake:fake-model"], prompts=[{"id": "a", "prompt": "Hi."}],
                                                 warmup=0, rounds=1, max_output_tokens=4, timeout_s=10))
    before = store.path.stat().st_mtime_ns
    started = time.perf_counter()
    job_id = start_worker_job(store, JobKinds.BENCHMARK, {"run_id": run_id}, run_id=run_id, label="startup")
    spawned = time.perf_counter()
    after_spawn = store.path.stat().st_mtime_ns
    assert after_spawn != before
    while store.path.stat().st_mtime_ns == after_spawn:
        time.sleep(0.0002)
    first_write = time.perf_counter()
    while (job := get_job(store, job_id)) is None or job.state == "running":
        time.sleep(0.002)
    ended = time.perf_counter()
    assert job.state == "completed", job.message
    return {"spawn_s": spawned - started, "first_write_s": first_write - started, "job_end_s": ended - started}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = []
    with FakeOpenAIServer(Scenario(n_tokens=3)) as server, tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            folder = Path(tmp) / str(i)
            folder.mkdir()
            rows.append(_one(server.base_url, folder))
    bare = [_fresh_interpreter_s("pass") for _ in range(5)]
    imports = [_fresh_interpreter_s("import core.workers.worker") for _ in range(5)]
    figures = {key: {"median": statistics.median(r[key] for r in rows), "min": min(r[key] for r in rows),
                     "max": max(r[key] for r in rows)} for key in rows[0]}
    figures["python_c_pass_s"] = {"median": statistics.median(bare), "min": min(bare), "max": max(bare)}
    figures["import_worker_s"] = {"median": statistics.median(imports), "min": min(imports), "max": max(imports)}
    report = {"repeat": args.repeat, "load_average": os.getloadavg(), "machine": machine_environment(),
              "figures": figures}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{args.repeat} jobs, load average {report['load_average'][0]:.2f}")
    for key, f in figures.items():
        print(f"{key:18s} median {f['median'] * 1e3:7.1f} ms  min {f['min'] * 1e3:7.1f}  max {f['max'] * 1e3:7.1f}")


if __name__ == "__main__":
    main()
