"""The Benchmark page through AppTest: start a run in the background, find it again, read its table."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.benchmark.prompt_sets.builtin import MEETINGS, builtin_prompt_sets
from core.benchmark.settings import BenchmarkSettings
from core.models.sources import add_endpoint
from store import Store
from store.records import Table
from tests.conftest import open_app
from tests.fake_openai_server import FakeOpenAIServer, Scenario, down_base_url
from tests.live_records import running_benchmark, set_progress


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
    bunched = sum(1 for s in store.find(Table.SAMPLES, run_id=run["run_id"]) if s.get("decode_bunched")
                  and not s["warmup"])  # a busy machine may bunch a request's chunks: counted, said, left out
    assert row["n"] == 8 and row["tokens/s n"] == (f"{8 - bunched} ({bunched} bunched left out)" if bunched else "8")
    every = next(d.value for d in app.dataframe if "tokens/s median (95% CI)" in d.value.columns).set_index("model")
    for column in ("TTFT median, ms", "latency mean, s", "tokens/s mean", "tokens/s median"):
        cell = every.loc["fake:fake-model", f"{column} (95% CI)"]
        needs = 6 if "median" in column else 5  # a busy machine may leave too few rates for an interval
        if column.startswith("tokens/s") and 8 - bunched < needs:
            assert "too few samples for an interval" in cell, (column, cell)
        else:
            assert re.fullmatch(r"[\d.]+ \([\d.]+ – [\d.]+\)", cell), (column, cell)
    assert row["goodput"] == "0% (0 of 8 met every target)"
    captions = [c.value.replace("\\", "") for c in app.caption]  # markdown escapes "<" with a backslash
    assert any("Targets: TTFT <= 5 s, latency <= 0.01 s" in c for c in captions)
    assert any("goodput 0% (0 of 8 requests met every target)" in c for c in captions)


def _done_totals(app: AppTest) -> dict[str, str]:
    """The ``done/total`` each place shows: the sidebar's bar, the page's bar, the Runs table, the run's caption."""
    figure = re.compile(r"\d+/\d+")
    main_bar = [p.text for p in app.main.get("progress")]
    side_bar = [p.text for p in app.sidebar.get("progress")]
    runs_table = next(d.value for d in app.dataframe if "progress" in d.value.columns)
    caption = next(c.value for c in app.caption if c.value.startswith("Status"))
    found = {"sidebar": side_bar[0] if side_bar else "", "bar": main_bar[0] if main_bar else "",
             "runs table": runs_table["progress"].iloc[0], "caption": caption}
    return {place: (m.group(0) if (m := figure.search(text)) else text) for place, text in found.items()}


def test_sidebar_bar_and_runs_table_read_one_record(app: AppTest, store_file: Path) -> None:
    """A run going on in another process: every place shows its job's done/total, and all move together."""
    store = Store(store_file)
    settings = BenchmarkSettings(models=["fake:m"], prompts=[{"id": "p1", "prompt": "hi"}], rounds=96, warmup=0)
    _, job_id = running_benchmark(store, settings, done=74, total=96)
    app.run()
    assert not app.exception
    assert set(_done_totals(app).values()) == {"74/96"}, _done_totals(app)
    set_progress(store, job_id, 80, 96)
    app.run()
    assert set(_done_totals(app).values()) == {"80/96"}, _done_totals(app)


def test_the_form_shows_the_running_runs_settings_after_a_reload(app: AppTest, store_file: Path) -> None:
    store = Store(store_file)
    with FakeOpenAIServer(Scenario(n_tokens=4)) as server:
        add_endpoint(store, "fake", server.base_url)
        prompts = [p.model_dump(exclude_none=True) for p in builtin_prompt_sets()[MEETINGS]]
        settings = BenchmarkSettings(models=["fake:fake-model"], prompts=prompts, rounds=5, warmup=2,
                                     prompt_set_name=MEETINGS, max_output_tokens=64,
                                     timeout_s=30, concurrency=[1, 2], slo={"ttft_s": 0.5, "e2e_s": 4.0})
        running_benchmark(store, settings, done=3, total=settings.total_requests())
        app.run()  # a new browser session: nothing remembered but the store
    assert not app.exception
    assert app.multiselect(key="bench-models").value == ["fake:fake-model"]
    assert app.selectbox(key="bench-set").value == MEETINGS
    fields = {key: app.number_input(key=key).value for key in
              ("bench-rounds", "bench-warmup", "bench-max-tokens", "bench-timeout", "bench-ttft-target",
               "bench-e2e-target")}
    assert fields == {"bench-rounds": 5, "bench-warmup": 2, "bench-max-tokens": 64, "bench-timeout": 30,
                      "bench-ttft-target": 0.5, "bench-e2e-target": 4.0}
    assert app.multiselect(key="bench-concurrency").value == [1, 2]
    assert app.button(key="bench-start").disabled  # one run at a time: the cores are the instrument
