"""``bootstrap.py``: the two commands without ``make`` (Windows, macOS), and the Makefile calling it, so there is
one implementation. Nothing here installs anything: the steps' plumbing is checked, not pip."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import bootstrap
from core.paths import REPO_ROOT


def test_the_makefile_only_calls_bootstrap() -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    python = os.environ.get("PYTHON", "python3")  # the Makefile's default interpreter, unless overridden
    # CI runs this suite under `make test`: a nested make would print "Entering directory" and inherit flags
    outer = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"}
    env = {**{k: v for k, v in os.environ.items() if k not in outer}, "PORT": "8501"}
    for target, expected in (("test", "bootstrap.py test"), ("run", "bootstrap.py run --port 8501"),
                             ("lint", "bootstrap.py lint")):
        done = subprocess.run(["make", "--no-print-directory", "-n", target], cwd=REPO_ROOT, capture_output=True,
                              text=True, check=True, env=env)
        assert done.stdout.strip() == f"{python} {expected}"


def test_help_lists_the_two_commands() -> None:
    done = subprocess.run([sys.executable, "bootstrap.py", "--help"], cwd=REPO_ROOT, capture_output=True, text=True,
                          check=True)
    assert "{run,test,install,install-dev,chromium,model,lint}" in done.stdout


@pytest.mark.parametrize("argv", [["test", "-m", "not slow", "-x"], ["test", "--", "-m", "not slow", "-x"]])
def test_pytest_arguments_pass_through(monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> None:
    passed: list[list[str]] = []
    monkeypatch.setattr(bootstrap, "test", lambda args: passed.append(list(args)))
    assert bootstrap.main(argv) == 0
    assert passed == [["-m", "not slow", "-x"]]


def test_other_steps_take_no_arguments(capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        bootstrap.main(["lint", "-x"])
    assert exited.value.code == 2 and "only 'test' passes arguments on" in capsys.readouterr().err


def test_the_venv_interpreter_is_where_the_platform_puts_it() -> None:
    expected = "Scripts/python.exe" if os.name == "nt" else "bin/python"
    assert bootstrap.venv_python() == bootstrap.VENV / expected


def test_a_stamp_is_stale_when_missing_or_older_than_its_sources(tmp_path: Path) -> None:
    source, stamp = tmp_path / "requirements.txt", tmp_path / ".installed"
    source.write_text("x")
    assert bootstrap._stale(stamp, source)
    stamp.touch()
    later = time.time() + 10
    os.utime(stamp, (later, later))
    assert not bootstrap._stale(stamp, source)
    os.utime(source, (later + 10, later + 10))
    assert bootstrap._stale(stamp, source)


def test_a_failed_step_is_one_line_and_a_non_zero_exit(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    def fails() -> None:
        bootstrap._run([sys.executable, "-c", "raise SystemExit(3)"])

    monkeypatch.setattr(bootstrap, "lint", fails)
    assert bootstrap.main(["lint"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and "(exit 3)" in err


def test_a_browser_given_by_path_needs_no_install(capsys, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    browser = tmp_path / "chrome"
    browser.write_text("")
    monkeypatch.setenv("BROWSER_PATH", str(browser))
    monkeypatch.setenv("PATH", str(tmp_path))  # no chromium, no apt-get, no sudo on the way
    bootstrap.chromium()
    monkeypatch.delenv("BROWSER_PATH")
    bootstrap.chromium()  # neither a browser nor apt-get: a sentence, and the other steps go on
    assert "set BROWSER_PATH" in capsys.readouterr().out
