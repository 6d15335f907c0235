"""The Benchmark page through AppTest: start a run in the background, find it again, read its table."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.models.sources import add_endpoint
from store import Store
from store.records import Table
from tests.conftest import open_app
from tests.fake_openai_server import FakeOpenAIServer, Scenario, down_base_url


@pytest.fixture
def app(app_store: Path) -> AppTest:
    return open_app("app_pages/benchmark.py")


def _wait_for_run_end(store_file: Path, timeout_s: float = 60) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        runs = Store(store_file).find(Table.RUNS, kind="benchmark")
        if runs and runs[0]["status"] not in ("queued", "running"):
            return runs[0]
        time.sleep(0.1)
    raise AssertionError("the benchmark did not finish in time")


def test_empty_state_says_what_to_do(app: AppTest) -> None:
    app.run()
    assert not app.exception
    assert any("No benchmark runs yet" in i.value for i in app.info)


def test_run_with_an_unreachable_endpoint_completes_for_the_others(app: AppTest, store_file: Path) -> None:
    store = Store(store_file)
    with FakeOpenAIServer(Scenario(n_tokens=4)) as server:
        add_endpoint(store, "fake", server.base_url)
        add_endpoint(store, "gone", down_base_url())
        app.run()
        models_json = json.dumps({"gone": {"source": "gone", "model": "fake-model"},
                                  "fake": {"source": "fake", "model": "fake-model", "license": "MIT"}})
        app.file_uploader(key="import-models").set_value(("models.json", models_json.encode(), "application/json"))
        app.run()
        next(b for b in app.button if b.label == "Import models").click()
        app.run()
        assert any("gone:fake-model" in w.value for w in app.warning)
        assert app.multiselect(key="bench-models").value == ["gone:fake-model", "fake:fake-model"]
        app.selectbox(key="bench-set").select("RAG and local inference")
        app.number_input(key="bench-rounds").set_value(2)
        app.button(key="bench-start").click()
        app.run()
        assert not app.exception
        run = _wait_for_run_end(store_file)

    assert run["status"] == "completed"
    assert run["models"]["gone:fake-model"]["status"] == "failed"
    assert run["models"]["fake:fake-model"]["status"] == "completed"
    app.run()
    assert not app.exception
    table = app.dataframe[0].value
    row = table.set_index("model").loc["fake:fake-model"]
    assert row["n"] == 4 * 2  # four prompts, two rounds; warm-up not counted
    assert "reach" in table.set_index("model").loc["gone:fake-model", "notes"].lower()


def test_figures_carry_n_and_intervals_and_goodput_is_shown(app: AppTest, store_file: Path) -> None:
    """Eight requests: intervals for means and medians; targets from the form; goodput in words."""
    store = Store(store_file)
    with FakeOpenAIServer(Scenario(n_tokens=20, ttft_s=0.01, token_interval_s=0.002)) as server:
        add_endpoint(store, "fake", server.base_url)
        app.run()
        app.multiselect(key="bench-models").set_value(["fake:fake-model"])
        app.selectbox(key="bench-set").select("RAG and local inference")
        app.number_input(key="bench-rounds").set_value(2)
        app.number_input(key="bench-ttft-target").set_value(5.0)
        app.number_input(key="bench-e2e-target").set_value(0.01)
        app.run()
        app.button(key="bench-start").click()
        app.run()
        run = _wait_for_run_end(store_file)

    assert run["settings"]["slo"] == {"ttft_s": 5.0, "e2e_s": 0.01}
    app.run()
    assert not app.exception
    row = app.dataframe[0].value.set_index("model").loc["fake:fake-model"]
    assert row["n"] == 8 and row["tokens/s n"] == "8"
    for column in ("TTFT median (ms)", "latency mean (s)", "tokens/s mean", "tokens/s median"):
        assert "(95% CI " in row[column], (column, row[column])
    assert row["goodput"] == "0% (0 of 8 met every target)"
    captions = [c.value.replace("\\", "") for c in app.caption]  # markdown escapes "<" with a backslash
    assert any("Targets: TTFT <= 5 s, latency <= 0.01 s" in c for c in captions)
    assert any("goodput 0% (0 of 8 requests met every target)" in c for c in captions)
