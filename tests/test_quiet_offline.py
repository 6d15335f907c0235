"""Offline, as a new user without internet: Foundry Local's native retry errors never reach the terminal,
``models list`` says in one line that the public catalog is unavailable, and a command about endpoint
models never starts Foundry Local at all.

"Offline" is made certain by pointing Foundry Local's catalog at a closed local port
(``PICKWISE_FOUNDRY_CATALOG_URL``): before the fix that cost 4 retries with back-off, their ``[warning]``
and ``[error]`` lines on stderr, and the wait at exit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from core.engines.foundry_local import CATALOG_URL_ENV, OFFLINE_MESSAGE
from core.paths import REPO_ROOT
from tests.fake_openai_server import FakeOpenAIServer, Scenario, free_port


def _cli(db: Path, data: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    offline = f"http://127.0.0.1:{free_port()}/asset-gallery/v1.0/models"
    env = {**os.environ, "PICKWISE_DATA": str(data), CATALOG_URL_ENV: offline}
    return subprocess.run([sys.executable, "cli.py", "--db", str(db), *argv], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def _native_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(("[warning]", "[error]", "[info]"))]


def test_models_list_offline_prints_one_status_line_and_no_native_errors(tmp_path: Path) -> None:
    done = _cli(tmp_path / "db.json", tmp_path / "data", "models", "list")
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [f"Foundry Local: {OFFLINE_MESSAGE}"]
    assert done.stdout.startswith("== foundry-local")
    as_json = _cli(tmp_path / "db.json", tmp_path / "data", "models", "list", "--json")
    assert json.loads(as_json.stdout)["public_catalog"] == OFFLINE_MESSAGE and as_json.stderr == ""


def test_native_stderr_goes_to_the_log_and_python_stderr_stays(tmp_path: Path) -> None:
    """What the Foundry runtime does (C code writing to descriptor 2) beside what Pickwise prints."""
    log = tmp_path / "logs" / "native.log"
    script = ("import ctypes, sys; from pathlib import Path; from core.native_output import route_native_output; "
              f"route_native_output(Path({str(log)!r})); "
              "line = b'[warning] Operation failed after 4 attempts\\n'; ctypes.CDLL(None).write(2, line, len(line)); "
              "print('error: one sentence', file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "error: one sentence\n"
    assert log.read_text() == "[warning] Operation failed after 4 attempts\n"


def test_a_benchmark_and_judging_of_endpoint_models_never_start_foundry_local(tmp_path: Path) -> None:
    db, data = tmp_path / "db.json", tmp_path / "data"
    models = tmp_path / "models.json"
    models.write_text(json.dumps({"fake": {"source": "fake", "model": "fake-model"}}))
    prompts = tmp_path / "prompts.json"
    prompts.write_text(json.dumps(["Say hi."]))
    with FakeOpenAIServer(Scenario(models=["fake-model"])) as server:
        assert _cli(db, data, "endpoints", "add", "fake", "--base-url", server.base_url).returncode == 0
        done = _cli(db, data, "bench", "--models", str(models), "--prompts", str(prompts), "--rounds", "1", "--warmup",
                    "0", "--json")
        assert done.returncode == 0, done.stderr
        judged = _cli(db, data, "judge", "--run", json.loads(done.stdout)["run_id"], "--judge", "fake:fake-model")
    assert _native_lines(done.stderr + judged.stderr) == []
    assert "Foundry Local" not in judged.stderr
    assert not (data / "foundry").exists() and not (data / "logs" / "foundry").exists()  # never initialised
