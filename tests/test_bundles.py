"""Run bundles (``core/bundles.py``, ``cli.py runs ...``) on real store files: a seeded run with samples, a
judgment and a grade exported, imported into a fresh store twice (listed once), damaged bundles refused in
one sentence with no traceback, the machine identity kept, and a run deleted with everything tied to it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from core.benchmark.runner import create_run
from core.benchmark.settings import BenchmarkSettings
from core.bundles import BundleError, checksum, delete_run, export_bundle, import_bundle, machine_label
from core.grading import install_presets
from core.jobs import utc_now
from core.paths import REPO_ROOT
from store import Store, queries
from store.records import Run, Table
from tests.test_compare import ModelSpec, seed_run

CPU = ModelSpec("foundry-local:small:1")


def _cli(store_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "cli.py", "--db", str(store_file), *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)


def _graded_run(store: Store) -> str:
    """A seeded run plus one judgment and one grade naming its third sample (known links to check)."""
    run_id = seed_run(store, [CPU], prompts=3, rounds=2)
    install_presets(store)
    sample = store.find(Table.SAMPLES, run_id=run_id)[2]
    item = {"run_id": run_id, "item_id": "i-abc", "sample_id": sample["_id"], "model_ref": CPU.ref,
            "prompt_id": sample["prompt_id"], "response_chars": len(sample["text"]), "rubric_name": "helpfulness",
            "rubric_version": 1, "created_at": utc_now()}
    store.insert(Table.JUDGMENTS, item | {"judge_ref": "ollama:judge", "status": "scored",
                                          "scores": {"helpfulness": 4}, "raw_replies": ["{}"]})
    store.insert(Table.GRADES, item | {"grader": "ann", "scores": {"helpfulness": 5}, "source": "app"})
    return run_id


def test_export_import_twice_lists_the_run_once_with_its_records_linked(tmp_path: Path) -> None:
    here = Store(tmp_path / "laptop.json")
    run_id = _graded_run(here)
    bundle = export_bundle(here, [run_id], label="laptop")
    there = Store(tmp_path / "gpu-box.json")
    there_run = seed_run(there, [CPU])  # ids there are already taken: imported samples get new ones

    first, second = import_bundle(there, bundle), import_bundle(there, bundle)

    assert (first.added, first.skipped, second.added, second.skipped) == ([run_id], [], [], [run_id])
    assert [r.run_id for r in queries.find(there, Run)].count(run_id) == 1
    assert there_run != run_id
    samples = there.find(Table.SAMPLES, run_id=run_id)
    original = here.find(Table.SAMPLES, run_id=run_id)
    assert [s["text"] for s in samples] == [s["text"] for s in original]
    for table in (Table.JUDGMENTS, Table.GRADES):
        (doc,) = there.find(table, run_id=run_id)
        assert there.get(Table.SAMPLES, doc["sample_id"])["text"] == original[2]["text"]
    assert [(r["name"], r["version"]) for r in there.find(Table.RUBRICS)] == [("helpfulness", 1)]
    assert machine_label(queries.get_run(there, run_id)) == "laptop"


def test_machine_identity_survives_a_second_export(tmp_path: Path) -> None:
    here, middle, last = (Store(tmp_path / f"{n}.json") for n in ("a", "b", "c"))
    run_id = seed_run(here, [CPU])
    import_bundle(middle, export_bundle(here, [run_id], label="gpu-box"))
    import_bundle(last, export_bundle(middle, [run_id], label="laptop"))
    assert machine_label(queries.get_run(last, run_id)) == "gpu-box"


def _edited(bundle: bytes, change) -> bytes:
    body = orjson.loads(bundle)
    change(body)
    return orjson.dumps(body)


def _newer(body: dict) -> None:
    body["schema_version"] += 1
    body["checksum"] = checksum(body)  # a genuine newer bundle, not a tampered one


DAMAGED = {
    "truncated": (lambda b: b[: len(b) // 2], "damaged or incomplete"),
    "payload edited": (lambda b: _edited(b, lambda d: d["runs"][0]["samples"][0].update(e2e_s=0.001)),
                       "checksum does not match"),
    "newer schema": (lambda b: _edited(b, _newer), "written by a newer Pickwise"),
    "not a bundle": (lambda b: b"[1, 2]", "not a Pickwise run bundle"),
    "record off contract": (lambda b: _edited(b, lambda d: (d["runs"][0]["run"].update(status="exploded"),
                                                            d.update(checksum=checksum(d)))),
                            "Run this Pickwise cannot store"),
}


@pytest.mark.parametrize("case", list(DAMAGED))
def test_a_damaged_bundle_is_refused_in_one_line_and_changes_nothing(case: str, tmp_path: Path) -> None:
    here = Store(tmp_path / "here.json")
    run_id = seed_run(here, [CPU], prompts=2, rounds=1)
    damage, words = DAMAGED[case]
    bad = tmp_path / "bad.json"
    bad.write_bytes(damage(export_bundle(here, [run_id])))
    fresh = tmp_path / "fresh.json"
    Store(fresh)

    done = _cli(fresh, "runs", "import", str(bad))

    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert words in done.stderr
    assert Store(fresh).count(Table.RUNS) == 0 and Store(fresh).count(Table.SAMPLES) == 0


def test_cli_round_trip_list_show_delete(tmp_path: Path) -> None:
    source, target = tmp_path / "a.json", tmp_path / "b.json"
    run_id = _graded_run(Store(source))
    out = tmp_path / "runs.bundle.json"
    assert _cli(source, "runs", "export", run_id, "--out", str(out), "--label", "gpu-box").returncode == 0
    for _ in range(2):
        assert _cli(target, "runs", "import", str(out)).returncode == 0

    listed = json.loads(_cli(target, "runs", "list", "--json").stdout)["runs"]
    assert [(r["run_id"], r["machine"], r["samples"]) for r in listed] == [(run_id, "gpu-box", 9)]
    shown = json.loads(_cli(target, "runs", "show", run_id, "--json").stdout)
    assert shown["counts"] == {"samples": 9, "judgments": 1, "pairwise_verdicts": 0, "grades": 1}

    deleted = _cli(target, "runs", "delete", run_id)
    assert deleted.returncode == 0, deleted.stderr
    store = Store(target)
    assert {t: n for t, n in store.counts().items() if n} == {"rubrics": 1}  # the rubric stays, the run's records go
    assert not (tmp_path / "b.json.runs" / "samples" / f"{run_id}.json").exists()
    again = _cli(target, "runs", "delete", run_id)
    assert again.returncode == 1 and again.stderr.count("\n") == 1 and "No run" in again.stderr


def test_an_unfinished_run_is_neither_exported_nor_deleted(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.json")
    run_id = create_run(store, BenchmarkSettings(models=[CPU.ref], prompt_set_name="x",
                                                 prompts=[{"id": "p0", "prompt": "hi"}]))
    with pytest.raises(BundleError, match="still queued"):
        export_bundle(store, [run_id])
    with pytest.raises(BundleError, match="still queued"):
        delete_run(store, run_id)
    assert queries.get_run(store, run_id) is not None


def test_a_run_a_decision_names_is_kept_as_its_evidence(tmp_path: Path) -> None:
    """A decision record is never edited: deleting a run it rests on is refused in one sentence, through the CLI."""
    store_file = tmp_path / "s.json"
    run_id = seed_run(Store(store_file), [ModelSpec(CPU.ref)])
    decided = _cli(store_file, "decide", "--runs", run_id, "--format", "md", "--out", str(tmp_path / "d.md"))
    assert decided.returncode == 0, decided.stderr
    refused = _cli(store_file, "runs", "delete", run_id)
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1
    assert f"Run {run_id} is evidence in decision" in refused.stderr and "Traceback" not in refused.stderr
    assert queries.get_run(Store(store_file), run_id) is not None
