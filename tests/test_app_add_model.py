"""Bring your own model on the Models page (AppTest): a bad path gets one sentence in an error box and starts
nothing; an ONNX GenAI folder is added by a background job whose outcome the page shows."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from store import Store
from store.records import JobKinds, Table
from tests.conftest import ended_job, open_app


@pytest.fixture
def app(app_store: Path) -> AppTest:
    return open_app("app_pages/models.py")


def _add(app: AppTest, path: str, name: str = "") -> None:
    app.run()
    app.text_input(key="add-model-path").set_value(path)
    app.text_input(key="add-model-name").set_value(name)
    next(b for b in app.button if b.label == "Add model").click()
    app.run()


def test_a_folder_with_no_model_is_one_sentence_and_starts_nothing(app: AppTest, store_file: Path,
                                                                  tmp_path: Path) -> None:
    _add(app, str(tmp_path))
    assert not app.exception
    [error] = [e.value for e in app.error]
    assert "holds neither an ONNX Runtime GenAI model" in error and "Traceback" not in error
    assert Store(store_file).find(Table.JOBS, kind=JobKinds.ADD_MODEL) == []


def test_an_onnx_folder_is_added_by_a_job_the_page_reports(app: AppTest, store_file: Path,
                                                          tiny_model_dir: Path) -> None:
    _add(app, str(tiny_model_dir), "page-tiny")
    assert not app.exception and not app.error
    job = ended_job(store_file, JobKinds.ADD_MODEL, 60)
    assert job["state"] == "completed", job["message"]
    assert "page-tiny:1" in job["message"] and "registered in place" in job["message"]
    app.run()
    assert any("page-tiny:1" in s.value for s in app.success)
