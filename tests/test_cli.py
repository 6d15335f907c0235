"""The CLI end to end, in-process, against real local HTTP servers and a real store file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli import main
from store import Store
from store.records import Table
from tests.fake_openai_server import FakeOpenAIServer, Scenario, down_base_url


def _run(capsys: pytest.CaptureFixture[str], db: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--db", str(db), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_endpoints_add_list_remove(capsys, store_file: Path) -> None:
    code, out, _ = _run(capsys, store_file, "endpoints", "add", "local", "--base-url", "http://127.0.0.1:9/v1",
                        "--api-key-env", "LOCAL_KEY")
    assert code == 0 and "local:MODEL_ID" in out
    code, out, _ = _run(capsys, store_file, "endpoints", "list", "--json")
    listed = json.loads(out)
    assert listed == [{"name": "local", "base_url": "http://127.0.0.1:9/v1", "api_key_env": "LOCAL_KEY",
                       "created_at": listed[0]["created_at"]}]
    assert _run(capsys, store_file, "endpoints", "remove", "local")[0] == 0
    code, _, err = _run(capsys, store_file, "endpoints", "remove", "local")
    assert code == 1 and "No endpoint named 'local'" in err


def test_endpoint_with_a_key_instead_of_a_variable_name_is_refused(capsys, store_file: Path) -> None:
    code, _, err = _run(capsys, store_file, "endpoints", "add", "az", "--base-url", "https://x.example/v1",
                        "--api-key-env", "sk-live-1234-abcd")
    assert code == 1 and "environment variable" in err
    assert "sk-live" not in json.dumps(Store(store_file).all(Table.ENDPOINTS))


def test_probe_json(capsys, store_file: Path) -> None:
    with FakeOpenAIServer(Scenario(tokens=["Hello", " there"])) as server:
        _run(capsys, store_file, "endpoints", "add", "fake", "--base-url", server.base_url)
        code, out, _ = _run(capsys, store_file, "probe", "fake:fake-model", "--prompt", "Hi", "--json")
    result = json.loads(out)
    assert code == 0 and result["ok"] and result["text"] == "Hello there"
    assert result["completion_tokens"] == 2 and result["token_source"] == "engine"


def test_bench_json_and_exit_codes(capsys, store_file: Path, tmp_path: Path) -> None:
    prompts = tmp_path / "prompts.json"
    prompts.write_text(json.dumps(["Say hi.", {"id": "bye", "prompt": "Say bye."}]))
    with FakeOpenAIServer(Scenario(n_tokens=3)) as server:
        _run(capsys, store_file, "endpoints", "add", "fake", "--base-url", server.base_url)
        _run(capsys, store_file, "endpoints", "add", "gone", "--base-url", down_base_url())
        models = tmp_path / "models.json"
        models.write_text(json.dumps({
            "fake": {"source": "fake", "model": "fake-model", "license": "MIT"},
            "gone": {"source": "gone", "model": "fake-model"},
        }))
        code, out, err = _run(capsys, store_file, "bench", "--models", str(models), "--prompts", str(prompts),
                              "--rounds", "2", "--warmup", "1", "--json")
        assert code == 0, err
        record = json.loads(out)  # stdout carries only the run record
        assert record["models"]["fake:fake-model"]["status"] == "completed"
        assert record["models"]["fake:fake-model"]["summary"]["n_counted"] == 4
        assert record["models"]["gone:fake-model"]["status"] == "failed"
        assert record["settings"]["rounds"] == 2 and record["environment"]["cores_logical"] >= 1

        models.write_text(json.dumps({"gone": {"source": "gone", "model": "fake-model"}}))
        code, _, err = _run(capsys, store_file, "bench", "--models", str(models), "--prompts", str(prompts))
        assert code == 1 and "no model produced a result" in err


def test_bench_records_targets_and_reports_goodput(capsys, store_file: Path, tmp_path: Path) -> None:
    """Against a server answering in ~0.3 s: TTFT <= 2 s met, latency <= 0.1 s missed by every request (the
    margins hold on a loaded machine: a TTFT target of 0.5 s was once missed there)."""
    prompts = tmp_path / "prompts.json"
    prompts.write_text(json.dumps(["Say hi.", "Say bye."]))
    models = tmp_path / "models.json"
    models.write_text(json.dumps({"fake": {"source": "fake", "model": "fake-model"}}))
    with FakeOpenAIServer(Scenario(n_tokens=3, ttft_s=0.3, token_interval_s=0.01)) as server:
        _run(capsys, store_file, "endpoints", "add", "fake", "--base-url", server.base_url)
        code, out, err = _run(capsys, store_file, "bench", "--models", str(models), "--prompts", str(prompts),
                              "--rounds", "2", "--slo", "ttft=2", "--slo", "e2e=0.1", "--json")
    assert code == 0, err
    record = json.loads(out)
    assert record["settings"]["slo"] == {"ttft_s": 2.0, "e2e_s": 0.1}
    result = record["models"]["fake:fake-model"]
    assert (result["goodput"], result["goodput_met"], result["goodput_n"]) == (0.0, 0, 4)
    assert result["slo_pass_rate"] == {"ttft_s": 1.0, "e2e_s": 0.0}
    assert "Targets: TTFT <= 2 s, latency <= 0.1 s (failed requests miss every target)" in err
    assert "fake:fake-model: goodput 0% (0 of 4 requests met every target); TTFT <= 2 s met by 100%" in err


@pytest.mark.parametrize(("value", "expected"), [
    ("tps=5", "There is no target named 'tps': use one of ttft, ttfa, e2e, e.g. ttft=0.5."),
    ("ttft=0", "Target ttft: 0 is not a number above 0."),
    ("e2e", "'e2e' is not a target: write NAME=SECONDS, e.g. ttft=0.5 or e2e=3."),
])
def test_bench_refuses_a_bad_target_in_one_line(capsys, store_file: Path, tmp_path: Path, value: str,
                                                expected: str) -> None:
    models = tmp_path / "models.json"
    models.write_text(json.dumps({"m": {"source": "fake", "model": "fake-model"}}))
    with pytest.raises(SystemExit) as exited:
        main(["--db", str(store_file), "bench", "--models", str(models), "--prompt-set", "RAG and local inference",
              "--slo", value])
    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert err.splitlines()[-1] == f"cli.py bench: error: argument --slo: {expected}"
    assert not store_file.exists()


def test_bench_reports_every_config_problem(capsys, store_file: Path, tmp_path: Path) -> None:
    models = tmp_path / "models.json"
    models.write_text('{"a": {"source": "x", "model": ""}, "b": {"model": "m", "size_mb": "big"}}')
    code, out, err = _run(capsys, store_file, "bench", "--models", str(models), "--prompt-set",
                          "RAG and local inference")
    assert code == 1 and out == ""
    assert '"a"' in err and '"b"' in err and "size_mb" in err and "source" in err


def test_decide_exports_a_record(capsys, store_file: Path, tmp_path: Path) -> None:
    from tests.test_app_decide import _seed_run

    run_id = _seed_run(store_file)
    weights = tmp_path / "weights.json"
    weights.write_text(json.dumps({"latency": 50, "throughput": 50}))
    out = tmp_path / "decision.md"
    code, stdout, err = _run(capsys, store_file, "decide", "--runs", run_id, "--weights", str(weights),
                             "--format", "md", "--out", str(out))
    assert code == 0, err
    assert "fast:fake-model" in stdout
    text = out.read_text()
    assert run_id in text and "fast:fake-model" in text
    assert len(Store(store_file).all(Table.DECISIONS)) == 1

    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    code, _, err = _run(capsys, store_file, "decide", "--runs", run_id, "--constraints", str(bad),
                        "--format", "json", "--out", str(tmp_path / "x.json"))
    assert code == 1 and "JSON object" in err
    code, _, err = _run(capsys, store_file, "decide", "--runs", "nope", "--format", "md", "--out", str(out))
    assert code == 1 and "nope" in err


@pytest.mark.parametrize(
    ("flag", "value", "expected"),
    [
        ("--rounds", "1000000000", "1000000000 is not a whole number from 1 to 1,000"),
        ("--timeout", "inf", "'inf' is not a finite number; use a number above 0 and at most 3,600"),
        ("--timeout", "nan", "'nan' is not a finite number"),
        ("--timeout", "1e400", "'1e400' is not a finite number"),
        ("--concurrency", "0", "0 is not a whole number from 1 to 64"),
        ("--concurrency", "-1", "-1 is not a whole number from 1 to 64"),
        ("--max-tokens", "0", "0 is not a whole number from 1 to 32,768"),
        ("--warmup", "-1", "-1 is not a whole number from 0 to 100"),
        ("--rounds", "three", "'three' is not a number; use a whole number from 1 to 1,000"),
    ],
)
def test_bench_refuses_a_bad_number_in_one_line(capsys, store_file: Path, tmp_path: Path, flag: str, value: str,
                                                expected: str) -> None:
    models = tmp_path / "models.json"
    models.write_text(json.dumps({"m": {"source": "fake", "model": "fake-model"}}))
    with pytest.raises(SystemExit) as exited:
        main(["--db", str(store_file), "bench", "--models", str(models), "--prompt-set", "RAG and local inference",
              flag, value])
    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert err.splitlines()[-1].startswith(f"cli.py bench: error: argument {flag}: {expected}")
    assert "Traceback" not in err and not store_file.exists()


def test_probe_refuses_a_non_finite_timeout(capsys, store_file: Path) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--db", str(store_file), "probe", "fake:m", "--prompt", "hi", "--timeout", "nan"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1].endswith("argument --timeout: 'nan' is not a finite number; "
                                                            "use a number above 0 and at most 3,600")


def test_bench_refuses_too_many_requests_before_storing_a_run(capsys, store_file: Path, tmp_path: Path) -> None:
    models = tmp_path / "models.json"
    models.write_text(json.dumps({f"m{i}": {"source": "fake", "model": f"model-{i}"} for i in range(30)}))
    code, out, err = _run(capsys, store_file, "bench", "--models", str(models), "--prompt-set",
                          "RAG and local inference", "--rounds", "1000")
    assert code == 1 and out == ""
    assert err == ("error: This run would send 120,120 requests; the limit is 100,000: use fewer rounds, prompts, "
                   "models or concurrency levels.\n")
    assert Store(store_file).count(Table.RUNS) == 0


def test_decide_refuses_non_finite_weights(capsys, store_file: Path, tmp_path: Path) -> None:
    from tests.test_app_decide import _seed_run

    run_id = _seed_run(store_file)
    weights = tmp_path / "weights.json"
    weights.write_text('{"latency": NaN, "throughput": 1e400}')
    code, _, err = _run(capsys, store_file, "decide", "--runs", run_id, "--weights", str(weights),
                        "--format", "md", "--out", str(tmp_path / "d.md"))
    assert code == 1 and "Traceback" not in err
    assert '"latency": NaN is not a finite number' in err and '"throughput": 1e400 is not a finite number' in err
    assert Store(store_file).count(Table.DECISIONS) == 0 and not (tmp_path / "d.md").exists()


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("missing", "no-such-folder is not an existing folder; create it or write the file elsewhere."),
        ("folder", "is a folder; give a file path inside it."),
        ("full", "Cannot write /dev/full: No space left on device."),
    ],
)
def test_decide_records_nothing_when_the_file_cannot_be_written(capsys, store_file: Path, tmp_path: Path,
                                                                 target: str, expected: str) -> None:
    from tests.test_app_decide import _seed_run

    run_id = _seed_run(store_file)
    out = {"missing": tmp_path / "no-such-folder" / "d.md", "folder": tmp_path, "full": Path("/dev/full")}[target]
    before = sorted(p.name for p in tmp_path.iterdir())
    code, stdout, err = _run(capsys, store_file, "decide", "--runs", run_id, "--format", "md", "--out", str(out))
    assert (code, stdout) == (1, "")
    assert err.startswith("error: ") and err.endswith(expected + "\n") and err.count("\n") == 1
    assert Store(store_file).count(Table.DECISIONS) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no temp file left behind


def test_decide_replaces_an_existing_file_whole(capsys, store_file: Path, tmp_path: Path) -> None:
    from tests.test_app_decide import _seed_run

    run_id = _seed_run(store_file)
    out = tmp_path / "decision.json"
    out.write_text("old")
    out.chmod(0o640)
    code, _, err = _run(capsys, store_file, "decide", "--runs", run_id, "--format", "json", "--out", str(out))
    assert code == 0, err
    record = Store(store_file).all(Table.DECISIONS)[0]
    assert json.loads(out.read_text())["decision_id"] == record["decision_id"]
    assert out.stat().st_mode & 0o777 == 0o640
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("decision.json") and p.name != "decision.json"]
