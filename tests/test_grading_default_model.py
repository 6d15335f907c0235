"""The default model (SmolLM2-135M) as the judge, once, through the real Foundry Local engine.

A 135M model is a weak judge and its scores may be poor; what must hold is the plumbing: every
answer ends as ``scored`` (valid 1-5 for every criterion) or ``unscored`` with the raw replies
kept, never a guessed number, and the parse-failure rate is measurable. The observed rate is
written to ``test-artifacts/default-model-judge.json`` so it can be tracked across changes.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from core.grading import grading_items, parse_failure_rates, save_rubric, start_judging
from core.grading.presets import HELPFULNESS
from core.jobs import get_job
from core.models.default_model import pipeline
from core.models.default_model.folders import folder_is_complete
from core.models.sources import Sources
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

    assert job.state == "completed", job.message
    judgments = store.find(Table.JUDGMENTS, run_id=run_id)
    assert sorted(j["item_id"] for j in judgments) == sorted(i.item_id for i in grading_items(store, run_id))
    for judgment in judgments:
        assert judgment["raw_replies"] and all(isinstance(r, str) for r in judgment["raw_replies"])
        if judgment["status"] == "scored":
            assert set(judgment["scores"]) == {"helpfulness"} and judgment["scores"]["helpfulness"] in range(1, 6)
        else:
            assert judgment["status"] == "unscored" and judgment["scores"] is None and judgment["problem"]
    stats = parse_failure_rates(store, run_id)[JUDGE]
    assert stats.n == len(ANSWERS)

    ARTIFACTS.mkdir(exist_ok=True)
    observed = {"judge": JUDGE, "rubric": rubric.label, "answers": stats.n, "unscored": stats.unscored,
                "retried": stats.retried, "parse_failure_rate": stats.failure_rate, "seconds": round(seconds, 1),
                "judgments": [{k: j[k] for k in ("status", "scores", "problem", "parse_method", "raw_replies")}
                              for j in judgments]}
    (ARTIFACTS / "default-model-judge.json").write_text(json.dumps(observed, indent=2))
    print(f"\ndefault model as judge: {stats.unscored}/{stats.n} unscored "
          f"({stats.failure_rate:.0%} parse failures), {stats.retried} retried, {seconds:.1f} s")
