"""``cli.py decide``: the rule for missing figures, figures typed in, and the noise verdict on stdout."""

from __future__ import annotations

import json
from pathlib import Path

from store import Store
from store.records import Table
from tests.test_app_decide import _seed_run
from tests.test_cli import _run


def test_decide_fills_typed_in_figures_and_states_the_lead_with_its_interval(capsys, store_file: Path,
                                                                             tmp_path: Path) -> None:
    run_id = _seed_run(store_file)
    weights = tmp_path / "weights.json"
    weights.write_text(json.dumps({"latency": 40, "throughput": 30, "memory": 30}))
    entered = tmp_path / "entered.json"
    entered.write_text(json.dumps({"fast:fake-model": {"memory": 900}, "slow:fake-model": {"memory": 500}}))
    out = tmp_path / "decision.json"
    code, stdout, err = _run(capsys, store_file, "decide", "--runs", run_id, "--weights", str(weights),
                             "--missing-data", "fill", "--entered", str(entered), "--format", "json",
                             "--out", str(out))
    assert code == 0, err
    lines = stdout.splitlines()
    assert lines[0].startswith("Decision ") and "under measurement noise" in lines[1]
    record = json.loads(out.read_text())
    assert record["settings"]["missing_data"] == "fill" and record["settings"]["entered"]["slow:fake-model"] == \
        {"memory": 500}
    by = {m["ref"]: m for m in record["ranked"]}
    assert by["slow:fake-model"]["entered"] == ["memory"] and by["slow:fake-model"]["values"]["memory"] == 500
    lead = record["sensitivity"]["lead"]
    assert lead["leader"] == record["top_ranked"] and lead["draws"] == 2000 and lead["sentence"] == lines[1]
    assert record["sensitivity"]["noise"] is True
    assert "e2e_s" not in json.dumps(record["candidates"])  # figures and run ids, not the samples


def test_decide_refuses_a_bad_entered_file_in_one_line(capsys, store_file: Path, tmp_path: Path) -> None:
    run_id = _seed_run(store_file)
    entered = tmp_path / "entered.json"
    entered.write_text(json.dumps({"fast:fake-model": {"quality": 5}}))
    code, stdout, err = _run(capsys, store_file, "decide", "--runs", run_id, "--missing-data", "fill",
                             "--entered", str(entered), "--format", "md", "--out", str(tmp_path / "d.md"))
    assert code == 1 and stdout == ""
    assert err.count("\n") == 1 and "Only memory and footprint can be entered by hand" in err
    assert not Store(store_file).all(Table.DECISIONS)


def test_several_formats_in_one_call_record_one_decision(capsys, store_file: Path, tmp_path: Path) -> None:
    run_id = _seed_run(store_file)
    stem = tmp_path / "decision.md"
    code, stdout, err = _run(capsys, store_file, "decide", "--runs", run_id, "--format", "md", "--format", "html",
                             "--format", "json", "--out", str(stem))
    assert code == 0, err
    [record] = Store(store_file).all(Table.DECISIONS)
    for suffix in (".md", ".html", ".json"):
        assert record["chosen"] in stem.with_suffix(suffix).read_text()
    assert json.loads(stem.with_suffix(".json").read_text())["decision_id"] == record["decision_id"]

    paired = [tmp_path / "a.md", tmp_path / "b.csv"]  # the format of each --out from its extension
    code, stdout, err = _run(capsys, store_file, "decide", "--runs", run_id, "--out", str(paired[0]),
                             "--out", str(paired[1]))
    assert code == 0, err
    assert len(Store(store_file).all(Table.DECISIONS)) == 2
    assert paired[0].read_text().startswith("# Decision") and paired[1].read_text().startswith("status,rank,model")
    assert all(str(p) in stdout for p in paired)


def test_no_record_writes_the_files_and_records_nothing(capsys, store_file: Path, tmp_path: Path) -> None:
    run_id = _seed_run(store_file)
    out = tmp_path / "dry.md"
    code, stdout, err = _run(capsys, store_file, "decide", "--runs", run_id, "--out", str(out), "--no-record")
    assert code == 0, err
    assert "fast:fake-model" in out.read_text() and "not recorded" in stdout
    assert not Store(store_file).all(Table.DECISIONS)


def test_an_unclear_export_request_is_refused_before_anything_is_written(capsys, store_file: Path,
                                                                        tmp_path: Path) -> None:
    run_id = _seed_run(store_file)
    out = tmp_path / "out"
    out.mkdir()
    for argv, expected in (
        (["--out", str(out / "d.txt")], "Cannot tell the format of"),
        (["--format", "md", "--format", "html", "--format", "csv", "--out", str(out / "a.md"),
          "--out", str(out / "b.html")], "3 formats for 2 files"),
        (["--format", "md"], "--out"),
    ):
        code, stdout, err = _run(capsys, store_file, "decide", "--runs", run_id, *argv)
        assert code == 1 and stdout == "" and err.count("\n") == 1 and expected in err, err
    assert list(out.iterdir()) == [] and not Store(store_file).all(Table.DECISIONS)


def test_no_model_qualifies_is_refused_unless_asked_for(capsys, store_file: Path, tmp_path: Path) -> None:
    run_id = _seed_run(store_file)
    constraints = tmp_path / "constraints.json"
    constraints.write_text(json.dumps({"max_memory_mb": 100}))  # no endpoint has a memory figure
    argv = ["decide", "--runs", run_id, "--constraints", str(constraints), "--out", str(tmp_path / "d.md")]
    code, stdout, err = _run(capsys, store_file, *argv)
    assert code == 1 and "record that no model qualifies" in err and not Store(store_file).all(Table.DECISIONS)
    code, stdout, err = _run(capsys, store_file, *argv, "--none-qualifies")
    assert code == 0, err
    assert "no model qualifies" in stdout and "No model qualifies" in stdout
    [record] = Store(store_file).all(Table.DECISIONS)
    assert record["no_model_qualifies"] and record["chosen"] is None and len(record["excluded"]) == 3
