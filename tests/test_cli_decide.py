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
