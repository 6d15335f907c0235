"""A local stream with known timing, benchmarked from the app while someone clicks through its pages (issue 13).

Issue 13's target: measured from the app while the page is being used, TTFT within 5 ms and decode tokens/s
within 2% of the injected truth. A local server process (``tests/fake_openai_server.py``) streams at a true
2,000 tok/s and at 20 tok/s with a first token after 50 ms. The app (``streamlit run app.py``) starts the
benchmark from its Benchmark page in Debian's chromium (Playwright); while the run's worker process measures,
a second tab clicks through every page in a loop. The figures are then read from the run the app stored.

    .venv/bin/python benchmarks/app_in_use.py [--rounds 10] [--json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.benchmark.environment import machine_environment  # noqa: E402
from core.benchmark.runner import create_run  # noqa: E402
from core.benchmark.settings import BenchmarkSettings  # noqa: E402
from core.models.sources import add_endpoint  # noqa: E402
from core.paths import REPO_ROOT  # noqa: E402
from store import Store, queries  # noqa: E402
from store.records import Run, Table  # noqa: E402
from tests.conftest import CHROMIUM, running_app  # noqa: E402

TTFT_S = 0.05
SERVER = f"""
import sys
from tests.fake_openai_server import FakeOpenAIServer, Scenario
n_tokens, interval = int(sys.argv[1]), float(sys.argv[2])
with FakeOpenAIServer(Scenario(models=["fake-model"], n_tokens=n_tokens, ttft_s={TTFT_S},
                               token_interval_s=interval)) as server:
    print(server.base_url, flush=True)
    sys.stdin.read()
"""
STREAMS = {"2000 tok/s": (401, 1 / 2000), "20 tok/s": (41, 1 / 20)}
PAGES = ("", *(p.stem for p in sorted((REPO_ROOT / "app_pages").glob("*.py")) if p.stem not in ("__init__", "home")))


def _seed(db: Path, base_url: str, n_tokens: int, rounds: int) -> str:
    """The endpoint, and an earlier run whose settings the Benchmark form opens on (the app remembers them)."""
    store = Store(db)
    add_endpoint(store, "local", base_url)
    settings = BenchmarkSettings(models=["local:fake-model"], prompts=[{"id": "p", "prompt": "Count."}],
                                 prompt_set_name="Count", warmup=1, rounds=rounds, max_output_tokens=n_tokens)
    run = queries.get_run(store, create_run(store, settings))
    assert run is not None
    queries.update(store, Run, run.stored_id, {"status": "completed", "models": {"local:fake-model":
                                                                                {"status": "failed"}}})
    return run.run_id


def _run_from_the_app(browser, url: str, db: Path, seeded: str) -> tuple[dict, int]:
    """Start the benchmark on the Benchmark page, click through the pages in another tab until it ends."""
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.goto(f"{url}/benchmark")
    page.get_by_role("button", name="Start benchmark").wait_for(timeout=60_000)
    page.get_by_role("button", name="Start benchmark").click()
    clicker = browser.new_context(viewport={"width": 1000, "height": 900}).new_page()
    visits, deadline = 0, time.monotonic() + 600
    while time.monotonic() < deadline:
        started = [r for r in Store(db).find(Table.RUNS, kind="benchmark") if r["run_id"] != seeded]
        if started and started[0]["status"] in ("completed", "failed", "cancelled", "interrupted"):
            return started[0], visits
        clicker.goto(f"{url}/{PAGES[visits % len(PAGES)]}")
        clicker.wait_for_load_state("networkidle")
        visits += 1
    raise RuntimeError("the run started from the app did not end within 10 minutes")


def measure(browser, n_tokens: int, interval: float, rounds: int) -> dict:
    with tempfile.TemporaryDirectory() as folder, subprocess.Popen(
            [sys.executable, "-c", SERVER, str(n_tokens), str(interval)], cwd=REPO_ROOT, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True) as server:
        try:
            db = Path(folder) / "pickwise.json"
            seeded = _seed(db, server.stdout.readline().strip(), n_tokens, rounds)
            with running_app(db, Path(folder)) as app:
                run, visits = _run_from_the_app(browser, app.url, db, seeded)
        finally:
            server.kill()
    metrics = run["models"]["local:fake-model"]["summary"]["metrics"]
    ttft, tps = metrics["ttft_s"], metrics["decode_tps"]
    truth = 1 / interval
    return {
        "n": ttft["n"], "page_visits": visits, "bunched": tps["n_left_out"],
        "ttft_median_ms": ttft["p50"] * 1000, "ttft_mean_ms": ttft["mean"] * 1000,
        "ttft_error_ms": ttft["p50"] * 1000 - TTFT_S * 1000,
        "tps_median": tps["p50"], "tps_mean": tps["mean"], "tps_truth": truth,
        "tps_error_pct": (tps["p50"] / truth - 1) * 100,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        results = [{"stream": name, **measure(browser, n, interval, args.rounds)}
                   for name, (n, interval) in STREAMS.items()]
        browser.close()
    if args.json:
        print(json.dumps({"environment": machine_environment(), "results": results}))
        return
    for r in results:
        print(f"{r['stream']:>10}: n={r['n']}, {r['page_visits']} page visits during the run, {r['bunched']} bunched; "
              f"TTFT median {r['ttft_median_ms']:.2f} ms (truth {TTFT_S * 1000:.0f}, {r['ttft_error_ms']:+.2f} ms), "
              f"mean {r['ttft_mean_ms']:.2f} ms; tokens/s median {r['tps_median']:.1f}, mean {r['tps_mean']:.1f} "
              f"(truth {r['tps_truth']:.0f}, {r['tps_error_pct']:+.2f}%)")


if __name__ == "__main__":
    main()
