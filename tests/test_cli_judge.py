"""``cli.py judge`` as a user runs it: a subprocess over a real store file, the judge a scripted HTTP server.

The judge knows its job (5 when an answer states the reference's reading, else 1), so its control
accuracy and verdict are known in advance; one answer it cannot score shows the warning and
``--retry-unscored``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.paths import REPO_ROOT
from store import Store
from tests.test_app_grade import QUALIFYING_PROMPTS, _checks_the_reading
from tests.test_grading_items import make_run
from tests.test_grading_judge import _serve

JUDGE = "judge:fake-model"


def _cli(db: Path, tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PICKWISE_DATA": str(tmp_path / "data")}  # a Foundry Local of its own
    return subprocess.run([sys.executable, "cli.py", "--db", str(db), *argv], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def run_id(store_file: Path) -> str:
    answers = [("a:m", p["id"], f"It reads {40 + i}.") for i, p in enumerate(QUALIFYING_PROMPTS)]
    return make_run(Store(store_file), [*answers, ("b:m", "p0", "Rain on the tin roof")], prompts=QUALIFYING_PROMPTS)


def test_judge_json_reports_parse_failures_controls_and_quality(store_file: Path, tmp_path: Path,
                                                                 run_id: str) -> None:
    with _serve(Store(store_file), _checks_the_reading) as server:
        done = _cli(store_file, tmp_path, "judge", "--run", run_id, "--judge", JUDGE, "--json")
        record = json.loads(done.stdout)  # stdout carries only the record
        assert done.returncode == 0, done.stderr
        assert f"Judging run {run_id} with {JUDGE} (helpfulness v1)" in done.stderr  # progress on stderr
        assert f"{JUDGE} judged 21 of 21" in done.stderr
        assert "warning: Judged 6 of 6 answers" in done.stderr and "--retry-unscored" in done.stderr
        assert (record["answers"], record["verdicts"], record["unscored_verdicts"]) == (
            {"judged": 6, "scored": 5, "unscored": 1}, 21, 1)
        assert record["parse_failure_rate"] == pytest.approx(1 / 21)
        assert record["methods"] == {"constrained": 20, "unscored": 1}
        controls = record["controls"]
        assert (controls["n_prompts"], controls["accuracy"], controls["qualified"], controls["chance"]) == (
            5, 1.0, True, 0.5)
        assert controls["ci95_low"] == pytest.approx(5 / (5 + 1.959963984540054 ** 2))
        assert controls["verdict"].startswith("This judge can tell a right answer from a wrong one")
        quality = {q["model"]: q for q in record["quality"]}
        assert quality["a:m"]["mean"] == 5.0 and quality["a:m"]["scored"] == 5
        assert (quality["b:m"]["scored"], quality["b:m"]["unscored"]) == (0, 1)

        server.scenario.reply = lambda prompt: '{"scores": {"helpfulness": 1}, "rationale": "A poem."}'
        again = _cli(store_file, tmp_path, "judge", "--run", run_id, "--judge", JUDGE, "--retry-unscored")
        assert again.returncode == 0, again.stderr
        assert len(server.chat_requests()) == 21 + 1 + 1  # 21 verdicts, the poem's retry, then the poem alone
    assert "warning:" not in again.stderr
    assert "answers: 6 judged, 6 scored, 0 unscored; parse-failure rate 0%" in again.stdout  # the table
    assert "controls: This judge can tell a right answer from a wrong one" in again.stdout
    assert "a:m" in again.stdout and "5.00" in again.stdout


@pytest.mark.parametrize(("argv", "message"), [
    (["--run", "nope", "--judge", JUDGE], "error: No run 'nope' in the store"),
    (["--judge", "no-colon"], "error: "),
    (["--judge", JUDGE, "--rubric", "tone"], "error: No rubric 'tone' in this store (known: conciseness, correctness"),
    (["--judge", "gone:model"], "error: Unknown model source 'gone'"),
])
def test_judge_errors_are_one_line(store_file: Path, tmp_path: Path, run_id: str, argv: list[str],
                                   message: str) -> None:
    argv = argv if "--run" in argv else ["--run", run_id, *argv]
    done = _cli(store_file, tmp_path, "judge", *argv)
    assert done.returncode == 1 and done.stdout == ""
    lines = [line for line in done.stderr.splitlines() if not line.startswith(("warning:", "[", "Judging"))]
    assert len(lines) == 1 and lines[0].startswith(message), done.stderr
