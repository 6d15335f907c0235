"""Foundry Local's web service as a source nobody types: ``FOUNDRY_LOCAL_ENDPOINT`` pointed at a real local
OpenAI-compatible server makes its models usable as ``foundry-local-service:MODEL_ID``."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from cli import main
from core.engines.base import ChatParams, EngineError
from core.models.foundry_service import SERVICE_ENV, FoundryServiceEngine, _answers
from store import Store
from store.records import Table
from tests.conftest import open_app
from tests.fake_openai_server import FakeOpenAIServer, Scenario, down_base_url

QWEN = "qwen2.5-0.5b-instruct-generic-cpu:4"  # a Foundry service id: its own version colon


def _run(capsys: pytest.CaptureFixture[str], db: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--db", str(db), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_service_is_listed_and_probed_without_endpoints_add(capsys, store_file: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeOpenAIServer(Scenario(models=[QWEN], tokens=["Hi", " there"])) as server:
        monkeypatch.setenv(SERVICE_ENV, server.base_url)
        code, out, _ = _run(capsys, store_file, "models", "list", "--json")
        assert code == 0 and f"foundry-local-service:{QWEN}" in [m["ref"] for m in json.loads(out)["models"]]
        code, out, err = _run(capsys, store_file, "probe", f"foundry-local-service:{QWEN}", "--prompt", "Hi",
                              "--json")
        assert code == 0, err
        assert json.loads(out)["text"] == "Hi there"
        assert server.chat_requests()[0].body["model"] == QWEN  # split at the first colon only


def test_a_stored_endpoint_of_the_same_name_wins(capsys, store_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeOpenAIServer(Scenario(models=["from-env"])) as env_server, \
            FakeOpenAIServer(Scenario(models=["stored"])) as stored_server:
        monkeypatch.setenv(SERVICE_ENV, env_server.base_url)
        _run(capsys, store_file, "endpoints", "add", "foundry-local-service", "--base-url", stored_server.base_url)
        _, out, _ = _run(capsys, store_file, "models", "list", "--json")
    refs = [m["ref"] for m in json.loads(out)["models"]]
    assert "foundry-local-service:stored" in refs and "foundry-local-service:from-env" not in refs


def test_load_goes_through_the_service_api() -> None:
    with FakeOpenAIServer(Scenario(models=[QWEN], foundry_load_route=True)) as server:
        result = FoundryServiceEngine(server.base_url).load(QWEN)
        assert server.scenario.loaded == [QWEN] and not result.already_loaded


def test_a_model_the_service_has_not_loaded_says_what_to_do() -> None:
    body = json.dumps({"error": {"message": f"Model {QWEN} is not loaded. Load the model first."}})
    messages = [{"role": "user", "content": "Hi"}]
    with FakeOpenAIServer(Scenario(models=[QWEN], status=400, error_body=body)) as server, \
            pytest.raises(EngineError) as caught:
        list(FoundryServiceEngine(server.base_url).stream_chat(QWEN, messages, ChatParams(timeout_s=5)))
    assert str(caught.value).startswith(f"Foundry Local's service has not loaded {QWEN}: load it with "
                                        f"'foundry model load {QWEN}'")


def test_the_port_probe_answers_yes_for_a_server_and_no_for_a_closed_port() -> None:
    with FakeOpenAIServer(Scenario()) as server:
        assert _answers(server.base_url)
    assert not _answers(down_base_url())


def test_the_models_page_lists_the_service(app_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeOpenAIServer(Scenario(models=[QWEN])) as server:
        monkeypatch.setenv(SERVICE_ENV, server.base_url)
        app = open_app("app_pages/models.py")
        for _ in range(50):  # listed in the background: a busy machine may need another rerun
            app.run()
            assert not app.exception
            refs = list(app.dataframe[0].value["ref"]) if app.dataframe else []
            if f"foundry-local-service:{QWEN}" in refs:
                break
            time.sleep(0.1)
    assert f"foundry-local-service:{QWEN}" in refs


def test_an_unknown_source_in_models_json_is_refused_before_a_run_exists(capsys, store_file: Path,
                                                                         tmp_path: Path) -> None:
    models, prompts = tmp_path / "models.json", tmp_path / "prompts.json"
    models.write_text(json.dumps({"qwen": {"source": "my-olama", "model": "qwen2.5"}}))
    prompts.write_text(json.dumps(["Hi"]))
    code, out, err = _run(capsys, store_file, "bench", "--models", str(models), "--prompts", str(prompts))
    assert code == 1 and out == ""
    [line] = err.splitlines()
    assert line.startswith("error: Model 'qwen' uses the source 'my-olama', which is not known here (known: "
                           "foundry-local")  # and foundry-local-service, on a machine running it
    assert line.endswith("): add it with 'python cli.py endpoints add my-olama --base-url URL' or fix the source.")
    assert not store_file.exists() or "runs" not in json.loads(store_file.read_text())  # no run created


def test_the_benchmark_page_refuses_an_imported_unknown_source(app_store: Path) -> None:
    app = open_app("app_pages/benchmark.py")
    app.run()
    models_json = json.dumps({"qwen": {"source": "my-olama", "model": "qwen2.5"}})
    app.file_uploader(key="import-models").set_value(("models.json", models_json.encode(), "application/json"))
    app.run()
    next(b for b in app.button if b.label == "Import models").click()
    app.run()
    assert not app.exception
    [error] = [e.value for e in app.error]
    assert error.replace("\\", "").startswith("Model 'qwen' uses the source 'my-olama', which is not known here")
    assert not app.success and Store(app_store).count(Table.MODELS) == 0
