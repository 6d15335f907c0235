"""Credentials never leak: not from a base URL's userinfo, not from a key typed where a variable name goes.

New endpoints with such values are refused at entry (without echoing them); endpoints stored by an
older version are shown redacted everywhere and refuse to run until re-added. End to end over a real
store file, the CLI, the benchmark runner and a real local server.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli import main
from core.benchmark.runner import create_run, execute_run
from core.benchmark.settings import BenchmarkSettings
from core.engines.base import ChatParams, EngineError
from core.engines.openai_compatible import (
    OpenAICompatibleEngine,
    validate_api_key_env,
    validate_base_url,
    validate_endpoint_name,
)
from core.models.sources import Sources, add_endpoint, list_endpoints
from core.redaction import redact_url
from store import Store
from store.partitions import runs_folder
from store.records import Table
from tests.fake_openai_server import FakeOpenAIServer, Scenario

PASSWORD = "hunter2pass"
KEYLIKE = "0123456789abcdef0123456789abcdef"  # shaped like an Azure key


class _Control:
    cancelled = False

    def progress(self, done: float, total: float | None, message: str = "", *, force: bool = False) -> None:
        """The runner's progress is not under test here."""


def _cli(capsys: pytest.CaptureFixture[str], db: Path, *argv: str) -> tuple[int, str]:
    """Exit code and everything printed (stdout + stderr)."""
    code = main(["--db", str(db), *argv])
    out, err = capsys.readouterr()
    return code, out + err


# -- redaction -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://alice:hunter2pass@127.0.0.1:1/v1", "http://***@127.0.0.1:1/v1"),
        ("https://token@host/v1", "https://***@host/v1"),
        ("http://a:p@ss@word@host:8/v1", "http://***@host:8/v1"),  # the last '@' ends the userinfo
        ("alice:hunter2pass@host/v1", "***@host/v1"),
        ("http://host/v1?api-key=hunter2pass#frag", "http://host/v1?***"),
        ("http://127.0.0.1:11434/v1", "http://127.0.0.1:11434/v1"),
        ("http://host/v1/a@b", "http://host/v1/a@b"),  # an '@' in the path is not userinfo
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


# -- refused at entry ----------------------------------------------------------------------------


def test_base_url_with_credentials_is_refused_without_echoing_them() -> None:
    with pytest.raises(ValueError) as info:
        validate_base_url(f"http://alice:{PASSWORD}@127.0.0.1:1/v1")
    message = str(info.value)
    assert PASSWORD not in message and "alice" not in message and "--api-key-env" in message


def test_url_with_a_query_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValueError) as info:
        validate_base_url(f"http://h/v1?api-key={PASSWORD}")
    assert PASSWORD not in str(info.value)


def test_cli_refuses_credentials_in_url_and_stores_nothing(capsys, store_file: Path) -> None:
    code, printed = _cli(capsys, store_file, "endpoints", "add", "credurl", "--base-url",
                         f"http://alice:{PASSWORD}@127.0.0.1:1/v1")
    assert code == 1 and PASSWORD not in printed and "--api-key-env" in printed
    assert printed.count("\n") == 1 and Store(store_file).all(Table.ENDPOINTS) == []


@pytest.mark.parametrize(
    "value",
    [KEYLIKE, "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "AKIAIOSFODNN7EXAMPLE", "sk-live-1234-abcd",
     "hf_abcdefghijklmnopqrstuvwxyz12345678", "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
     "has space", "1STARTS_WITH_DIGIT", "A" * 129],
)
def test_api_key_env_that_is_not_a_variable_name_is_refused_without_echo(capsys, store_file: Path,
                                                                          value: str) -> None:
    with pytest.raises(ValueError) as info:
        validate_api_key_env(value)
    assert value not in str(info.value) and "environment variable" in str(info.value)
    code, printed = _cli(capsys, store_file, "endpoints", "add", "az", "--base-url", "https://x.example/v1",
                         "--api-key-env", value)
    assert code == 1 and value not in printed and printed.count("\n") == 1
    assert Store(store_file).all(Table.ENDPOINTS) == []


@pytest.mark.parametrize("value", ["AZURE_OPENAI_API_KEY", "OLLAMA_KEY", "_private", "my_key2", "OPENAI_API_KEY_2"])
def test_real_variable_names_are_accepted(value: str) -> None:
    assert validate_api_key_env(value) == value


# -- endpoint names ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["a" * 65, "-leading-dash", ".hidden", "_under", "naïve", "a/b", "x\ny"])
def test_endpoint_name_limits(name: str) -> None:
    with pytest.raises(ValueError, match="Endpoint name"):
        validate_endpoint_name(name)


@pytest.mark.parametrize("name", ["a", "a" * 64, "9lives", "my-ollama_2.local"])
def test_endpoint_name_within_limits(name: str) -> None:
    assert validate_endpoint_name(name) == name


def test_long_name_message_does_not_echo_it_whole() -> None:
    with pytest.raises(ValueError) as info:
        validate_endpoint_name("n" * 10_000)
    assert len(str(info.value)) < 300


# -- endpoints stored by an older version --------------------------------------------------------


def test_legacy_endpoint_with_credentials_never_shows_them(capsys, store_file: Path, tmp_path: Path) -> None:
    """Inserted straight into the store (as an older Pickwise could): list, probe, models, bench, decide."""
    with FakeOpenAIServer(Scenario(models=["fake-model"], required_api_key=PASSWORD)) as srv:
        creds_url = srv.base_url.replace("http://", f"http://alice:{PASSWORD}@")
        store = Store(store_file)
        store.insert(Table.ENDPOINTS, {"name": "credurl", "base_url": creds_url, "api_key_env": None,
                                   "created_at": "2026-01-01T00:00:00+00:00"})
        printed = ""
        for argv in (["endpoints", "list"], ["endpoints", "list", "--json"], ["models", "list", "--json"],
                     ["probe", "credurl:fake-model", "--prompt", "Hi"],
                     ["probe", "credurl:fake-model", "--prompt", "Hi", "--json"]):
            printed += _cli(capsys, store_file, *argv)[1]
        assert "credurl" in printed and "***@127.0.0.1" in printed and "Traceback" not in printed
        assert "remove it and add it again" in printed

        settings = BenchmarkSettings(models=["credurl:fake-model"], prompts=[{"id": "p", "prompt": "Hi"}],
                                     warmup=0, rounds=1)
        run_id = create_run(store, settings)
        run = execute_run(store, run_id, _Control())
        assert run.models["credurl:fake-model"].status == "failed"
        assert srv.chat_requests() == []  # the credentials were never sent either

        out_file = tmp_path / "decision.md"
        printed += _cli(capsys, store_file, "decide", "--runs", run_id, "--format", "md", "--out", str(out_file))[1]
    assert PASSWORD not in printed
    written = json.loads(store_file.read_text())  # the endpoint itself was scrubbed in the file too
    run_files = "".join(path.read_text() for path in runs_folder(store_file).rglob("*.json"))
    assert "runs" in written and '"samples"' in run_files and PASSWORD not in json.dumps(written) + run_files
    assert not out_file.exists() or PASSWORD not in out_file.read_text()
    assert all(PASSWORD not in json.dumps(e.as_dict()) for e in list_endpoints(store))


def test_legacy_endpoint_with_a_key_as_variable_name_never_shows_it(capsys, store_file: Path) -> None:
    with FakeOpenAIServer(Scenario(models=["fake-model"], required_api_key="the-real-key")) as srv:
        Store(store_file).insert(Table.ENDPOINTS, {"name": "az", "base_url": srv.base_url, "api_key_env": KEYLIKE,
                                               "created_at": "2026-01-01T00:00:00+00:00"})
        printed = ""
        for argv in (["endpoints", "list"], ["endpoints", "list", "--json"], ["models", "list"],
                     ["probe", "az:fake-model", "--prompt", "Hi"]):
            printed += _cli(capsys, store_file, *argv)[1]
        engine = Sources(Store(store_file), None).engine_for("az")
        with pytest.raises(EngineError) as info:
            list(engine.stream_chat("fake-model", [{"role": "user", "content": "Hi"}], ChatParams()))
    assert KEYLIKE not in printed and KEYLIKE not in str(info.value) and KEYLIKE not in repr(engine)
    assert KEYLIKE not in store_file.read_text()
    assert "az" in printed and "Traceback" not in printed


def test_engine_repr_and_messages_redact_url() -> None:
    engine = OpenAICompatibleEngine("legacy", f"http://alice:{PASSWORD}@127.0.0.1:1/v1")
    assert PASSWORD not in repr(engine) and PASSWORD not in engine.base_url
    with pytest.raises(EngineError) as info:
        engine.list_models()
    assert PASSWORD not in str(info.value) and "--api-key-env" in str(info.value)


def test_add_endpoint_stores_the_normalised_values(store: Store) -> None:
    endpoint = add_endpoint(store, " spaced ", " http://127.0.0.1:11434 ", " OLLAMA_KEY ")
    assert (endpoint.name, endpoint.base_url, endpoint.api_key_env) == ("spaced", "http://127.0.0.1:11434/v1",
                                                                         "OLLAMA_KEY")


def test_models_page_shows_legacy_endpoints_redacted_and_survives_an_empty_probe(app_store: Path) -> None:
    """The app's side: the endpoint list and an empty-answer probe, through Streamlit's AppTest."""
    from tests.conftest import open_app
    from tests.test_app_models import _wait_for_probe_end

    with FakeOpenAIServer(Scenario(models=["mute"], tokens=[])) as srv:
        store = Store(app_store)
        store.insert(Table.ENDPOINTS, {"name": "credurl", "base_url": srv.base_url.replace("http://", f"http://a:{PASSWORD}@"),
                                   "api_key_env": None, "created_at": "2026-01-01T00:00:00+00:00"})
        add_endpoint(store, "srv", srv.base_url)
        app = open_app("app_pages/models.py")
        app.run()
        app.selectbox(key="probe-model").select("srv:mute")
        next(b for b in app.button if b.label == "Run probe").click()
        app.run()
        _wait_for_probe_end(app_store)  # the probe runs in a worker process
        app.run()
    assert not app.exception
    shown = " ".join(str(e.value) for kind in (app.markdown, app.error, app.warning, app.caption) for e in kind)
    assert PASSWORD not in shown and "***@127.0.0.1" in shown
    assert any("empty answer" in e.value for e in app.error)
