"""``cli.py compare``: the Compare page's figures headless, on runs stored the way the runner stores them, and the
regression gate (exit 3) a CI pipeline relies on."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from cli import EXIT_BAD_INPUT, EXIT_REGRESSION, main
from store import Store
from tests.test_compare import GPU_SPEC, LARGE, SMALL, ModelSpec, seed_run


def _run(capsys: pytest.CaptureFixture[str], db: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--db", str(db), "compare", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def three_runs(store: Store) -> tuple[str, str, str]:
    """A baseline, the same speed again, and a run 30% slower (8 rounds over 4 prompts each)."""
    base = seed_run(store, [ModelSpec(SMALL), ModelSpec(LARGE, speed=0.5)], seed=1, rounds=8)
    again = seed_run(store, [ModelSpec(SMALL), ModelSpec(LARGE, speed=0.5)], seed=4, rounds=8)
    slower = seed_run(store, [ModelSpec(SMALL), ModelSpec(LARGE, speed=0.5)], seed=3, rounds=8, slowdown=1.3)
    return base, again, slower


def test_text_report_with_figures_statements_and_baseline_verdicts(capsys, store_file, three_runs) -> None:
    base, _, slower = three_runs
    code, out, err = _run(capsys, store_file, "--runs", slower, "--baseline", base)
    assert code == 0, err
    assert "TTFT median (s)" in out and "tokens/s mean" in out and "(no CI)" in out  # p95 below 72 samples
    assert f"{SMALL} is 2.0x faster end to end than {LARGE} (95% CI " in out
    assert f"is 27% slower end to end than in baseline run {base}" in out and "worse beyond noise" in out
    assert f"All selected runs ran on {socket.gethostname()}, CPU" in out
    assert "None" not in out and "nan" not in out.lower()


def test_json_document_and_the_regression_gate(capsys, store_file, three_runs) -> None:
    base, again, slower = three_runs
    code, out, _ = _run(capsys, store_file, "--runs", again, slower, "--baseline", base, "--json",
                        "--fail-on-regression")
    assert code == EXIT_REGRESSION
    report = json.loads(out)
    assert set(report) == {"runs", "groups", "models", "devices", "devices_note", "baseline", "regression"}
    assert [r["run_id"] for r in report["runs"]] == [again, slower, base]
    assert len(report["groups"]) == 6 and all(g["n"] > 0 and g["tps_ci95_low"] < g["tps_mean"]
                                              for g in report["groups"])
    changes = report["baseline"]["changes"]
    assert {c["verdict"] for c in changes if c["run"] == slower} == {"worse"}
    assert {c["verdict"] for c in changes if c["run"] == again} == {"within noise"}
    assert all(c["shared_prompts"] == 4 and c["statement"] for c in changes)
    assert report["regression"] is True and report["devices"] == []

    code, out, _ = _run(capsys, store_file, "--runs", again, "--baseline", base, "--json", "--fail-on-regression")
    assert code == 0 and json.loads(out)["regression"] is False


def test_devices_pair_over_shared_prompts_in_the_report(capsys, store_file, store: Store) -> None:
    cpu = seed_run(store, [ModelSpec(SMALL)], seed=1, prompts=4)
    gpu = seed_run(store, [ModelSpec(SMALL, **GPU_SPEC, speed=2.0)], seed=2, prompts=8)
    code, out, _ = _run(capsys, store_file, "--runs", cpu, gpu, "--json")
    devices = json.loads(out)["devices"]
    assert code == 0 and {d["shared_prompts"] for d in devices} == {4}
    here = socket.gethostname()  # SMALL records no family: its model id is its family
    assert any(d["statement"].startswith(f"small:1 on {here}, CUDA is 2.0x as fast end to end as on {here}, CPU")
               for d in devices)


def test_a_missing_figure_is_n_a_in_text_and_null_in_json(capsys, store_file, store: Store) -> None:
    run = seed_run(store, [ModelSpec(SMALL)], prompts=1, rounds=1)  # one measured request: no interval
    code, out, _ = _run(capsys, store_file, "--runs", run)
    assert code == 0 and "(no CI)" in out and "None" not in out and "nan" not in out.lower()
    group = json.loads(_run(capsys, store_file, "--runs", run, "--json")[1])["groups"][0]
    assert group["n"] == 1 and group["tps_ci95_low"] is None and group["tps_p50_ci95_low"] is None


@pytest.mark.parametrize("problem", ["unknown", "failed", "no-baseline"])
def test_bad_input_is_one_sentence_and_exit_2(capsys, store_file, store: Store, problem: str) -> None:
    good = seed_run(store, [ModelSpec(SMALL)])
    failed = seed_run(store, [ModelSpec(SMALL, failing=True)])
    argv = {"unknown": ["--runs", good, "nope"], "failed": ["--runs", good, failed],
            "no-baseline": ["--runs", good, "--fail-on-regression"]}[problem]
    code, out, err = _run(capsys, store_file, *argv)
    assert code == EXIT_BAD_INPUT and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err
    assert {"unknown": "No run 'nope' in the store", "failed": f"Run {failed} has no measured request",
            "no-baseline": "--fail-on-regression needs --baseline"}[problem] in err
