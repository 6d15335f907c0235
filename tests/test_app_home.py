"""The start page: five steps, the store's contents, the next thing to do; a corrupt store is reported."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import open_app


def _app(store_file: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("PICKWISE_DB", str(store_file))
    return open_app().run()


def test_start_page_lists_steps_and_next_action(store_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _app(store_file, monkeypatch)
    assert not at.exception
    assert at.title[0].value == "Pickwise"
    steps = [m.value for m in at.markdown if m.value.startswith("**")]
    assert [s.split("**")[1] for s in steps] == ["1. Models", "2. Benchmark", "3. Compare", "4. Grade", "5. Decide"]
    assert "prepare the default model" in at.info[0].value
    assert {m.label: m.value for m in at.metric}["Benchmark runs"] == "0"


def test_corrupt_store_is_moved_aside_and_reported(store_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store_file.write_text('{"runs": {"1": {"run_id": "x"')  # truncated JSON
    at = _app(store_file, monkeypatch)
    assert not at.exception
    assert any("moved" in e.value for e in at.sidebar.error)
    moved = [p for p in store_file.parent.iterdir() if ".corrupt-" in p.name]
    assert len(moved) == 1 and moved[0].read_text() == '{"runs": {"1": {"run_id": "x"'
