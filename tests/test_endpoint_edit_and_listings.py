"""Endpoints edited, not only removed (CLI and Models page, checked as ``add``, a secret never echoed), and
endpoint listings in the background: a hanging endpoint never holds the Models page, and a failing
one's warning stands beside it."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest

from cli import main
from core.models.listings import BackgroundListings
from core.models.sources import Sources, add_endpoint
from store import Store
from store.records import Table
from tests.conftest import open_app
from tests.fake_openai_server import FakeOpenAIServer, Scenario, down_base_url


def _run(capsys: pytest.CaptureFixture[str], db: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--db", str(db), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_endpoints_edit_checks_like_add_and_never_echoes_a_secret(capsys, store_file: Path) -> None:
    _run(capsys, store_file, "endpoints", "add", "local", "--base-url", "http://127.0.0.1:9/v1")
    code, out, _ = _run(capsys, store_file, "endpoints", "edit", "local", "--url", "http://127.0.0.1:10",
                        "--key-env", "LOCAL_KEY")
    assert code == 0 and "http://127.0.0.1:10/v1" in out and "$LOCAL_KEY" in out
    code, _, err = _run(capsys, store_file, "endpoints", "edit", "local", "--key-env", "sk-live-1234-abcd")
    assert code == 1 and "environment variable" in err and "sk-live" not in err
    code, _, err = _run(capsys, store_file, "endpoints", "edit", "local", "--url", "http://me:hunter2@h:1/v1")
    assert code == 1 and "hunter2" not in err
    [stored] = Store(store_file).all(Table.ENDPOINTS)
    assert (stored["base_url"], stored["api_key_env"]) == ("http://127.0.0.1:10/v1", "LOCAL_KEY")
    assert "sk-live" not in json.dumps(stored) and "hunter2" not in json.dumps(stored)
    code, out, _ = _run(capsys, store_file, "endpoints", "edit", "local", "--key-env", "")
    assert code == 0 and "no key" in out
    code, _, err = _run(capsys, store_file, "endpoints", "edit", "gone", "--url", "http://h:1/v1")
    assert code == 1 and err.startswith("error: No endpoint named 'gone'")


def test_a_hanging_endpoint_is_pending_not_waited_for_and_a_failure_is_kept(store: Store) -> None:
    with socket.socket() as silent:  # accepts connections (the backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        add_endpoint(store, "stuck", f"http://127.0.0.1:{silent.getsockname()[1]}/v1")
        add_endpoint(store, "down", down_base_url())
        listings = BackgroundListings(wait_s=0.3)
        started = time.perf_counter()
        first = {listing.source: listing for listing in listings.listings(Sources(store, None))}
        waited = time.perf_counter() - started
        assert first["stuck"].pending and first["stuck"].models == []
        again = {listing.source: listing for listing in listings.listings(Sources(store, None))}
    assert waited < 5  # never the 10 s listing timeout (its duration is measured in benchmarks/, not here)
    assert "Could not reach" in (again["down"].error or "")


def test_the_models_page_edits_an_endpoint_and_shows_its_failure_beside_it(app_store: Path) -> None:
    with FakeOpenAIServer(Scenario(models=["fake-model"])) as server:
        add_endpoint(Store(app_store), "ep", down_base_url())
        app = open_app("app_pages/models.py")
        for _ in range(50):
            app.run()
            assert not app.exception
            if any("Could not reach" in w.value for w in app.warning):
                break
            time.sleep(0.1)
        assert any("Could not reach" in w.value for w in app.warning)
        app.text_input(key="ed-url-ep").input(server.base_url)
        next(b for b in app.button if b.label == "Save").click()
        for _ in range(50):
            app.run()
            refs = list(app.dataframe[0].value["ref"]) if app.dataframe else []
            if "ep:fake-model" in refs:
                break
            time.sleep(0.1)
    assert not app.exception and "ep:fake-model" in refs
    assert Store(app_store).all(Table.ENDPOINTS)[0]["base_url"] == server.base_url
