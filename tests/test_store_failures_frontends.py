"""What a user sees when the store fails: the CLI prints one ``error:`` line and exits non-zero; the app
shows an error box that says what to do, on every page, and no traceback. The store files stay intact.

The CLI runs as a real subprocess (``python cli.py ...``); the app runs whole through ``AppTest``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli import main
from core.paths import REPO_ROOT
from store import Store
from store.migrations import CURRENT_VERSION
from store.records import Table
from tests.conftest import open_app
from tests.disk_faults import disk_full_at, remount_read_only, tmpfs
from tests.test_store_failures import hold_lock

PAGES = ["app_pages/home.py", "app_pages/models.py", "app_pages/benchmark.py", "app_pages/compare.py",
         "app_pages/grade.py", "app_pages/decide.py"]


def cli(db: Path, *argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "cli.py", "--db", str(db), *argv], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=60, env={**os.environ, **(env or {})})


def assert_one_error_line(done: subprocess.CompletedProcess[str], *parts: str) -> None:
    lines = done.stderr.strip().splitlines()
    assert done.returncode != 0
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert all(part in lines[0] for part in parts), lines[0]


NEWER = CURRENT_VERSION + 1


def newer_store(path: Path) -> bytes:
    path.write_text(json.dumps({"_meta": {"1": {"schema_version": NEWER}}, "alerts": [{"at": "later"}]}))
    return path.read_bytes()


# ------------------------------------------------------------------ CLI


def test_cli_refuses_a_newer_store_in_one_line(store_file: Path) -> None:
    original = newer_store(store_file)
    for argv in (["endpoints", "list"], ["endpoints", "add", "x", "--base-url", "http://127.0.0.1:9/v1"]):
        assert_one_error_line(cli(store_file, *argv), f"schema version {NEWER}", "Upgrade Pickwise")
    assert store_file.read_bytes() == original
    assert sorted(p.name for p in store_file.parent.iterdir()) == ["pickwise.json", "pickwise.json.lock"]


def test_cli_waiting_for_a_held_lock_gives_up_in_one_line(store: Store, store_file: Path) -> None:
    holder = hold_lock(store_file)
    try:
        done = cli(store_file, "endpoints", "add", "x", "--base-url", "http://127.0.0.1:9/v1",
                   env={"PICKWISE_LOCK_TIMEOUT": "0.5"})
    finally:
        holder.kill()
        holder.wait()
    assert_one_error_line(done, "Another Pickwise process", "try again")
    assert Store(store_file).all(Table.ENDPOINTS) == []


def test_cli_bad_lock_timeout_is_one_line(store_file: Path) -> None:
    done = cli(store_file, "endpoints", "list", env={"PICKWISE_LOCK_TIMEOUT": "soon"})
    assert_one_error_line(done, "PICKWISE_LOCK_TIMEOUT")


def test_cli_on_a_read_only_store_is_one_line(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", "1m") as disk:
        db = disk / "pickwise.json"
        assert cli(db, "endpoints", "add", "kept", "--base-url", "http://127.0.0.1:9/v1").returncode == 0
        remount_read_only(disk)
        listed = cli(db, "endpoints", "list")
        assert listed.returncode == 0 and "kept" in listed.stdout  # reading still works
        assert_one_error_line(cli(db, "endpoints", "add", "new", "--base-url", "http://127.0.0.1:9/v1"),
                              "read-only", "make it writable")
        assert [e["name"] for e in Store(db).all(Table.ENDPOINTS)] == ["kept"]


def test_cli_on_a_full_disk_is_one_line(store_file: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["--db", str(store_file), "endpoints", "add", "kept", "--base-url", "http://127.0.0.1:9/v1"]) == 0
    capsys.readouterr()
    monkeypatch.setattr(os, "fsync", disk_full_at(store_file.stat().st_size))
    code = main(["--db", str(store_file), "endpoints", "add", "new", "--base-url", "http://127.0.0.1:9/v1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1 and err[0].startswith("error: The disk holding") and "full" in err[0]
    monkeypatch.undo()
    assert [e["name"] for e in Store(store_file).all(Table.ENDPOINTS)] == ["kept"]


# ------------------------------------------------------------------ app


@pytest.mark.parametrize("page", PAGES)
def test_app_shows_a_newer_store_as_an_error_box_on_every_page(
    app_store: Path, page: str
) -> None:
    original = newer_store(app_store)
    at = open_app(page).run()
    assert not at.exception
    boxes = [e.value for e in at.error]
    assert any(f"schema version {NEWER}" in b and "Upgrade Pickwise" in b for b in boxes), boxes
    assert app_store.read_bytes() == original


def test_app_on_a_read_only_store_says_so_and_still_shows_the_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with tmpfs(tmp_path / "disk", "1m") as disk:
        db = disk / "pickwise.json"
        Store(db).insert(Table.ENDPOINTS, {"name": "kept", "base_url": "http://127.0.0.1:9/v1"})
        remount_read_only(disk)
        monkeypatch.setenv("PICKWISE_DB", str(db))
        at = open_app().run()
        assert not at.exception
        assert any("read-only" in w.value and "make it writable" in w.value for w in at.sidebar.warning)
        assert {m.label: m.value for m in at.metric}["Endpoints"] == "1"


def test_app_honours_the_lock_timeout_setting_like_the_cli(app_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The app opens the store through ``open_store`` too: a bad ``PICKWISE_LOCK_TIMEOUT`` is one error box."""
    monkeypatch.setenv("PICKWISE_LOCK_TIMEOUT", "soon")
    at = open_app().run()
    assert not at.exception
    boxes = [e.value for e in at.error]
    assert any("PICKWISE\\_LOCK\\_TIMEOUT must be a positive number" in b for b in boxes), boxes


# ------------------------------------------------------------ a hand-edited record


def hand_edited_run(path: Path) -> None:
    """A benchmark run whose status someone typed by hand: valid JSON, but not a status Pickwise knows."""
    Store(path).insert(Table.RUNS, {"run_id": "edited", "kind": "benchmark", "status": "half-done",
                                    "created_at": "2026-01-01T00:00:00+00:00", "settings": {}, "environment": {},
                                    "prompt_set": {"name": "x", "prompts": []}, "models": {}})


def test_cli_names_a_record_that_does_not_fit_in_one_line(store_file: Path) -> None:
    hand_edited_run(store_file)
    before = store_file.read_bytes()
    done = cli(store_file, "decide", "--runs", "edited", "--format", "md", "--out", str(store_file.parent / "d.md"))
    assert_one_error_line(done, "Run record", "status", "Nothing was changed")
    assert store_file.read_bytes() == before


@pytest.mark.parametrize("page", ["app_pages/benchmark.py", "app_pages/decide.py"])
def test_app_names_a_record_that_does_not_fit_in_an_error_box(app_store: Path, page: str) -> None:
    hand_edited_run(app_store)
    at = open_app(page).run()
    assert not at.exception
    assert any("Run record" in e.value and "status" in e.value for e in at.error), [e.value for e in at.error]
