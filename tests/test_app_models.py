"""The Models page through Streamlit's AppTest: endpoints in, models listed, a probe answered."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from store import Store
from tests.conftest import open_app
from tests.fake_openai_server import FakeOpenAIServer, Scenario

TOKENS = ["Local ", "inference ", "keeps ", "<b>data</b> ", "private."]


@pytest.fixture
def app(app_store: Path) -> AppTest:
    return open_app("app_pages/models.py")


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

    assert not app.exception
    assert not app.error, [e.value for e in app.error]
    # model output is shown verbatim as code text, never as HTML
    assert any(c.value == "".join(TOKENS) for c in app.code)
    labels = {m.label for m in app.metric}
    assert {"Time to first token", "Latency", "Tokens/s", "Output tokens"} <= labels
    runs = Store(store_file).find("runs", kind="probe")
    assert len(runs) == 1 and runs[0]["status"] == "completed"


def test_bad_endpoint_url_is_explained_and_nothing_is_stored(app: AppTest, store_file: Path) -> None:
    app.run()
    _add_endpoint(app, "broken", "ftp://nowhere")
    assert any("http" in e.value.lower() for e in app.error)
    assert Store(store_file).all("endpoints") == []


def test_unreachable_endpoint_is_reported_without_hiding_other_models(app: AppTest) -> None:
    from tests.fake_openai_server import down_base_url

    app.run()
    _add_endpoint(app, "gone", down_base_url())
    assert not app.exception
    assert any("gone" in w.value for w in app.warning)
