"""The default model (SmolLM2-135M) as the judge, once, through the real Foundry Local engine.

A 135M model is a weak judge and its scores may be poor; what must hold: under the verdict schema
every reply is a verdict (0% unparseable, where free text was 100%), and the product says plainly
whether the judge can be trusted (its control accuracy and a verdict in words). The observed figures
are written to ``test-artifacts/`` so they can be tracked across changes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.grading import grading_items, parse_failure_rates, save_rubric, start_judging
from core.grading.presets import HELPFULNESS
from core.jobs import get_job
from core.models.default_model import pipeline
from core.models.default_model.folders import folder_is_complete
from core.models.sources import Sources
from core.paths import REPO_ROOT
from core.refs import FOUNDRY_SOURCE
from store import Store
from store.records import Job, Table
from tests.conftest import APP_DATA_DIR, ARTIFACTS
from tests.test_grading_items import make_run

JUDGE = f"{FOUNDRY_SOURCE}:{pipeline.DEFAULT_MODEL_ID}"
ANSWERS = [("a:m", "capital", "The capital of France is Paris."), ("b:m", "capital", "I think it is Lyon."),
           ("a:m", "haiku", "Soft rain on the roof\nwhispers to the sleeping town\nmorning finds it gone"),
           ("b:m", "haiku", "Rain.")]


def _default_model_ready(engine) -> str:
    """Register the folder ``make model`` already converted in the real data folder (seconds); convert
    into this process's throwaway data folder only when there is none (minutes)."""
    converted = pipeline.default_model_dir(Path(APP_DATA_DIR) / "models")
    if folder_is_complete(converted):
        engine.register_folder(converted, pipeline.DEFAULT_MODEL_ID, pipeline.DEFAULT_DISPLAY_NAME,
                               pipeline.DEFAULT_LICENSE, replace=True)
        return pipeline.DEFAULT_MODEL_ID
    return pipeline.prepare_default_model(engine=engine)


def _wait(store: Store, job_id: str, timeout_s: float = 600) -> Job:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = get_job(store, job_id)
        if job and job.state != "running":
            return job
        time.sleep(0.2)
    raise AssertionError("judging with the default model did not finish in time")


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_default_model_judges_every_answer_or_keeps_its_reply(foundry_engine, store: Store) -> None:
    assert _default_model_ready(foundry_engine) == pipeline.DEFAULT_MODEL_ID
    rubric = save_rubric(store, HELPFULNESS)
    run_id = make_run(store, ANSWERS)
    started = time.perf_counter()
    job = _wait(store, start_judging(Sources(store, foundry_engine), store, run_id, JUDGE, rubric,
                                     max_output_tokens=200))
    seconds = time.perf_counter() - started

    assert job.state == "completed", job.message  # every verdict read: constrained decoding
    judgments = [j for j in store.find(Table.JUDGMENTS, run_id=run_id) if not j.get("control")]
    assert sorted(j["item_id"] for j in judgments) == sorted(i.item_id for i in grading_items(store, run_id))
    for judgment in store.find(Table.JUDGMENTS, run_id=run_id):
        assert judgment["raw_replies"] and all(isinstance(r, str) for r in judgment["raw_replies"])
        assert (judgment["status"], judgment["method"]) == ("scored", "constrained"), judgment
        assert set(judgment["scores"]) == {"helpfulness"} and judgment["scores"]["helpfulness"] in range(1, 6)
    stats = parse_failure_rates(store, run_id)[JUDGE]
    assert stats.n == len(ANSWERS) + 2 and stats.unscored == 0  # and the capital's two controls

    ARTIFACTS.mkdir(exist_ok=True)
    observed = {"judge": JUDGE, "rubric": rubric.label, "answers": stats.n, "unscored": stats.unscored,
                "retried": stats.retried, "parse_failure_rate": stats.failure_rate, "seconds": round(seconds, 1),
                "judgments": [{k: j[k] for k in ("status", "scores", "problem", "parse_method", "raw_replies")}
                              for j in judgments]}
    (ARTIFACTS / "default-model-judge.json").write_text(json.dumps(observed, indent=2))
    print(f"\ndefault model as judge: {stats.unscored}/{stats.n} unscored "
          f"({stats.failure_rate:.0%} parse failures), {stats.retried} retried, {seconds:.1f} s")


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_done_means_bench_then_cli_judge_reports_every_verdict_and_a_qualification(
        foundry_engine, tmp_path: Path) -> None:
    """The issue's acceptance run: ``bench`` the RAG set once, then ``cli.py judge --json`` on its answers."""
    assert _default_model_ready(foundry_engine) == pipeline.DEFAULT_MODEL_ID
    db = tmp_path / "pickwise.json"
    models = tmp_path / "models.json"
    models.write_text(json.dumps({"smollm2": {"source": FOUNDRY_SOURCE, "model": pipeline.DEFAULT_MODEL_ID}}))
    env = {**os.environ, "PICKWISE_DATA": APP_DATA_DIR}  # where the default model is registered
    bench = subprocess.run([sys.executable, "cli.py", "--db", str(db), "bench", "--models", str(models),
                            "--prompt-set", "RAG and local inference", "--rounds", "1", "--warmup", "0", "--json"],
                           cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert bench.returncode == 0, bench.stderr
    run_id = json.loads(bench.stdout)["run_id"]
    judged = subprocess.run([sys.executable, "cli.py", "--db", str(db), "judge", "--run", run_id, "--judge", JUDGE,
                             "--json"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert judged.returncode == 0, judged.stderr
    record = json.loads(judged.stdout)

    assert record["unscored_verdicts"] == 0 and record["parse_failure_rate"] == 0.0
    assert record["answers"] == {"judged": 4, "scored": 4, "unscored": 0}
    assert record["methods"] == {"constrained": record["verdicts"]}
    controls = record["controls"]
    assert controls["n_prompts"] == 4 and 0 <= controls["accuracy"] <= 1
    assert controls["verdict"] and "control accuracy" in controls["verdict"]
    assert not controls["qualified"]  # 4 prompts: a 135M judge would need a perfect score, and it is no judge
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "default-model-judge-cli.json").write_text(json.dumps(record, indent=2))
    print(f"\ndefault model judging the RAG set: {record['unscored_verdicts']}/{record['verdicts']} unscored, "
          f"{record['seconds_per_verdict']} s per verdict; controls: {controls['verdict']}")
