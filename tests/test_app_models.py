"""The Models page through Streamlit's AppTest: endpoints in, models listed, a probe answered."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from store import Store
from store.records import JobKinds, Table
from tests.conftest import ended_job, open_app
from tests.fake_openai_server import FakeOpenAIServer, Scenario

TOKENS = ["Local ", "inference ", "keeps ", "<b>data</b> ", "private."]


@pytest.fixture
def app(app_store: Path) -> AppTest:
    return open_app("app_pages/models.py")


def _wait_for_probe_end(store_file: Path, timeout_s: float = 10) -> dict:
    return ended_job(store_file, JobKinds.PROBE, timeout_s)


def _probe_hanging_server(app: AppTest, server: FakeOpenAIServer, timeout_s: int) -> None:
    """Probe a server that reads the request and never answers; the page comes back while it waits."""
    app.run()
    _add_endpoint(app, "stuck", server.base_url)
    app.selectbox(key="probe-model").select("stuck:fake-model")
    app.number_input(key="probe-timeout").set_value(timeout_s)
    next(b for b in app.button if b.label == "Run probe").click()
    app.run()
    assert not app.exception
    assert len(app.main.get("progress")) == 1 and any(b.label == "Cancel" for b in app.button)


def test_a_hanging_probe_gives_the_page_back_and_times_out_in_one_sentence(app: AppTest, store_file: Path) -> None:
    with FakeOpenAIServer(Scenario(models=["fake-model"], hang=True)) as server:
        _probe_hanging_server(app, server, timeout_s=1)  # the page is back while the probe still waits
        _wait_for_probe_end(store_file)
        app.run()
    assert not app.exception
    [error] = [e.value for e in app.error]
    assert "did not answer" in error and "within 1 s" in error, error
    assert "Traceback" not in error
    [run] = Store(store_file).find(Table.RUNS, kind="probe")
    assert run["status"] == "failed"


def test_cancel_ends_a_hanging_probe_at_once(app: AppTest, store_file: Path) -> None:
    with FakeOpenAIServer(Scenario(models=["fake-model"], hang=True)) as server:
        _probe_hanging_server(app, server, timeout_s=600)
        next(b for b in app.button if b.label == "Cancel").click()
        app.run()
        job = _wait_for_probe_end(store_file, timeout_s=10)  # far inside the 600 s timeout
        app.run()
    assert job["state"] == "cancelled"
    assert not app.exception
    assert any("was cancelled" in w.value for w in app.warning)
    [run] = Store(store_file).find(Table.RUNS, kind="probe")
    assert run["status"] == "cancelled"


def _add_endpoint(at: AppTest, name: str, url: str) -> None:
    at.text_input(key="ep-name").input(name)
    at.text_input(key="ep-url").input(url)
    next(b for b in at.button if b.label == "Add endpoint").click()
    at.run()


def test_add_endpoint_list_its_models_and_probe(app: AppTest, store_file: Path) -> None:
    with FakeOpenAIServer(Scenario(models=["fake-model"], tokens=TOKENS)) as server:
        app.run()
        assert not app.exception
        _add_endpoint(app, "fake", server.base_url)
        assert not app.exception
        refs = list(app.dataframe[0].value["ref"])
        assert "fake:fake-model" in refs

        app.selectbox(key="probe-model").select("fake:fake-model")
        next(b for b in app.button if b.label == "Run probe").click()
        app.run()
        _wait_for_probe_end(store_file)
        app.run()

    assert not app.exception
    assert not app.error, [e.value for e in app.error]
    # model output is shown verbatim as code text, never as HTML
    assert any(c.value == "".join(TOKENS) for c in app.code)
    labels = {m.label for m in app.metric}
    assert {"Time to first token", "Latency", "Tokens/s", "Output tokens"} <= labels
    runs = Store(store_file).find(Table.RUNS, kind="probe")
    assert len(runs) == 1 and runs[0]["status"] == "completed"


def test_bad_endpoint_url_is_explained_and_nothing_is_stored(app: AppTest, store_file: Path) -> None:
    app.run()
    _add_endpoint(app, "broken", "ftp://nowhere")
    assert any("http" in e.value.lower() for e in app.error)
    assert Store(store_file).all(Table.ENDPOINTS) == []


def test_unreachable_endpoint_is_reported_without_hiding_other_models(app: AppTest) -> None:
    from tests.fake_openai_server import down_base_url

    app.run()
    _add_endpoint(app, "gone", down_base_url())
    assert not app.exception
    assert any("gone" in w.value for w in app.warning)


HOSTILE_BODY = "[click](https://evil.example/x) ![beacon](https://evil.example/b.png) <b>bold</b>"


def test_a_hostile_error_body_is_shown_as_plain_text(app: AppTest, app_store: Path) -> None:
    """A 500 from /v1/models whose body is markdown and HTML: the warning shows the characters, no live link,
    no remote image (a tracking beacon), no bold."""
    from core.models.sources import add_endpoint

    with FakeOpenAIServer(Scenario(models_status=500, error_body=HOSTILE_BODY)) as server:
        add_endpoint(Store(app_store), "hostile", server.base_url)
        app.run()
    assert not app.exception
    [warning] = [w.value for w in app.warning if "hostile" in w.value]
    assert "[click](" not in warning and "![beacon](" not in warning and "<b>" not in warning
    assert r"\[click\](https:" in warning.replace("\u2060", "")
    assert r"!\[beacon\](https:" in warning.replace("\u2060", "")
    assert r"\<b\>bold\</b\>" in warning
    assert "https://" not in warning  # GFM would turn a bare URL into a link even when escaped
