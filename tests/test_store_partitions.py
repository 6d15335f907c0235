"""Per-run sample files: each run's samples and judgments live in their own TinyDB file.

Real files throughout: the layout on disk, which files a read or write touches (the store's own
file counters and the files' inodes), ids across runs, a crash between a run's file and the index,
a corrupt run file, and the migration of a real version-1 store built by the old single-file code.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import orjson
import pytest
import tinydb

from core.grading.items import grading_items
from store import RecoveryNotice, Store, StoreVersionError
from store.partitions import INDEX_NAME, PARTITIONED_TABLES, runs_folder
from store.records import Table

#: Built with the single-file code of commit cc60415 (two benchmark runs of two models against a local
#: fake server, a probe, a judging job and a manual grade), exactly as that version wrote it.
V1_STORE = Path(__file__).parent / "fixtures" / "store_v1.json"


def run_file(store_file: Path, table: str, run_id: str) -> Path:
    return runs_folder(store_file) / table / f"{run_id}.json"


def samples(run_id: str, n: int, **extra: object) -> list[dict]:
    return [{"run_id": run_id, "prompt_id": f"p{i}", "text": f"answer {i}", **extra} for i in range(n)]


def test_each_run_has_its_own_tinydb_file_and_the_main_file_none(store: Store, store_file: Path) -> None:
    assert store.insert_many(Table.SAMPLES, samples("run-a", 3)) == [1, 2, 3]
    assert store.insert_many(Table.SAMPLES, samples("run-b", 2)) == [4, 5]
    store.insert(Table.JUDGMENTS, {"run_id": "run-a", "item_id": "i-1", "status": "scored"})
    store.insert(Table.RUNS, {"run_id": "run-a"})

    main = json.loads(store_file.read_text())
    assert set(main) == {"_meta", "runs"} and main["_meta"]["1"]["schema_version"] == store.schema_version
    with tinydb.TinyDB(run_file(store_file, "samples", "run-a")) as db:
        assert [d["prompt_id"] for d in db.table("samples").all()] == ["p0", "p1", "p2"]
    assert json.loads(run_file(store_file, "samples", "run-b").read_text())["samples"].keys() == {"4", "5"}
    assert json.loads(run_file(store_file, "judgments", "run-a").read_text()) == {
        "judgments": {"1": {"run_id": "run-a", "item_id": "i-1", "status": "scored"}}}
    assert store.counts() == {"runs": 1, "samples": 5, "judgments": 1}
    assert store.count_by_run(Table.SAMPLES) == {"run-a": 3, "run-b": 2}


def test_appending_to_one_run_rewrites_neither_the_main_file_nor_other_runs(store: Store, store_file: Path) -> None:
    store.insert(Table.RUNS, {"run_id": "run-a"})
    store.insert_many(Table.SAMPLES, samples("run-a", 50))
    untouched = [store_file.stat().st_ino, run_file(store_file, "samples", "run-a").stat().st_ino]
    before = store.stats["file_writes"]
    store.insert_many(Table.SAMPLES, samples("run-b", 500))
    assert store.stats["file_writes"] == before + 2  # run-b's file and the index: one write each
    assert [store_file.stat().st_ino, run_file(store_file, "samples", "run-a").stat().st_ino] == untouched


def test_a_fresh_reader_counts_from_the_index_and_reads_only_the_run_it_asks_for(store_file: Path) -> None:
    writer = Store(store_file)
    for run in ("run-a", "run-b", "run-c"):
        writer.insert_many(Table.SAMPLES, samples(run, 10))
    reader = Store(store_file)
    assert reader.count(Table.SAMPLES) == 30
    assert reader.stats["file_reads"] == 2  # the main file and the index, no run file
    assert [d["prompt_id"] for d in reader.find(Table.SAMPLES, run_id="run-b", prompt_id="p3")] == ["p3"]
    assert reader.stats["file_reads"] == 3

    writer.insert_many(Table.SAMPLES, samples("run-c", 1))  # another store writes run-c only
    assert len(reader.find(Table.SAMPLES, run_id="run-b")) == 10
    assert reader.stats["file_reads"] == 4  # the index changed; run-b did not, so it was not re-read
    assert reader.count(Table.SAMPLES) == 31 and len(reader.find(Table.SAMPLES, run_id="run-c")) == 11


def test_ids_are_unique_across_runs_and_every_id_call_finds_its_run(store: Store) -> None:
    store.insert_many(Table.SAMPLES, samples("run-a", 2) + samples("run-b", 2))
    assert [(d["_id"], d["run_id"]) for d in store.all(Table.SAMPLES)] == [
        (1, "run-a"), (2, "run-a"), (3, "run-b"), (4, "run-b")]
    store.update(Table.SAMPLES, 3, {"text": "edited"})
    assert store.get(Table.SAMPLES, 3) == {"run_id": "run-b", "prompt_id": "p0", "text": "edited", "_id": 3}
    assert store.find(Table.SAMPLES, _id=3)[0]["text"] == "edited"
    store.update(Table.SAMPLES, 1, {"run_id": "run-b"})  # moving a sample to another run moves it between files
    assert [d["_id"] for d in store.find(Table.SAMPLES, run_id="run-b")] == [1, 3, 4]
    assert store.count_by_run(Table.SAMPLES) == {"run-a": 1, "run-b": 3}
    store.remove(Table.SAMPLES, 2)
    assert store.count_by_run(Table.SAMPLES) == {"run-b": 3}  # an emptied run's file is deleted
    assert store.insert(Table.SAMPLES, {"run_id": "run-a"}) == 5  # ids are never reused
    assert store.remove_where(Table.SAMPLES, run_id="run-b") == 3
    assert [d["_id"] for d in Store(store.path).all(Table.SAMPLES)] == [5]
    with pytest.raises(KeyError):
        store.update(Table.SAMPLES, 2, {"text": "gone"})


def test_documents_without_a_run_share_one_file(store: Store, store_file: Path) -> None:
    store.insert_many(Table.SAMPLES, [{"text": "no run"}, {"run_id": None}, {"run_id": 7}, {"run_id": "ok"}])
    assert store.count_by_run(Table.SAMPLES) == {None: 3, "ok": 1}
    assert [d["_id"] for d in store.find(Table.SAMPLES, run_id=7)] == [3]
    assert store.find(Table.SAMPLES, run_id=None) == [{"run_id": None, "_id": 2}]
    assert sorted(p.name for p in (runs_folder(store_file) / "samples").iterdir()) == ["_unassigned.json", "ok.json"]


def test_run_ids_that_are_not_file_names_get_a_safe_one(store: Store, store_file: Path) -> None:
    odd = "../../etc/passwd"
    store.insert(Table.SAMPLES, {"run_id": odd})
    assert store.find(Table.SAMPLES, run_id=odd)[0]["run_id"] == odd
    (name,) = [p.name for p in (runs_folder(store_file) / "samples").iterdir()]
    assert name.startswith("_") and "/" not in name and ".." not in name


def test_a_run_file_written_without_its_index_entry_is_picked_up(store: Store, store_file: Path) -> None:
    """What a writer killed between a run's file and the index leaves behind: the run file is the truth."""
    store.insert_many(Table.SAMPLES, samples("run-a", 2))
    index = runs_folder(store_file) / INDEX_NAME
    old_index = index.read_bytes()
    store.insert_many(Table.SAMPLES, samples("run-a", 1) + samples("run-b", 2))
    index.write_bytes(old_index)  # as if the index write never happened
    reopened = Store(store_file)
    assert reopened.count(Table.SAMPLES) == 5 and reopened.count_by_run(Table.SAMPLES) == {"run-a": 3, "run-b": 2}
    assert reopened.insert(Table.SAMPLES, {"run_id": "run-c"}) == 6  # no id is handed out twice


def test_a_lost_index_is_rebuilt_from_the_run_files(store: Store, store_file: Path) -> None:
    store.insert_many(Table.SAMPLES, samples("run-a", 2) + samples("run-b", 1))
    (runs_folder(store_file) / INDEX_NAME).unlink()
    reopened = Store(store_file)
    assert reopened.count_by_run(Table.SAMPLES) == {"run-a": 2, "run-b": 1}
    assert reopened.insert(Table.SAMPLES, {"run_id": "run-b"}) == 4


def test_a_corrupt_run_file_is_moved_aside_and_the_other_runs_stay(store: Store, store_file: Path) -> None:
    store.insert_many(Table.SAMPLES, samples("run-a", 2) + samples("run-b", 3))
    broken = run_file(store_file, "samples", "run-a")
    broken.write_bytes(b'{"samples": {"1": {"run_id": "run-a", "te')
    reader = Store(store_file)
    assert reader.find(Table.SAMPLES, run_id="run-a") == []
    notice = reader.recovered
    assert isinstance(notice, RecoveryNotice) and notice.path == broken.resolve()
    assert notice.moved_to.read_bytes() == b'{"samples": {"1": {"run_id": "run-a", "te'
    assert "Nothing was deleted" in str(notice) and "run-a" in str(notice)
    assert reader.count_by_run(Table.SAMPLES) == {"run-b": 3}
    assert reader.insert(Table.SAMPLES, {"run_id": "run-a"}) == 6


def test_a_new_main_file_does_not_adopt_an_older_run_folder(store_file: Path) -> None:
    Store(store_file).insert_many(Table.SAMPLES, samples("run-a", 2))
    store_file.unlink()
    fresh = Store(store_file)
    assert fresh.counts() == {}
    assert [p.name for p in store_file.parent.iterdir() if ".runs.orphaned-" in p.name]


# ------------------------------------------------------------------ migration of a real version-1 store


def test_a_real_version_1_store_is_split_into_run_files_with_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "pickwise.json"
    shutil.copy(V1_STORE, path)
    old = orjson.loads(V1_STORE.read_bytes())
    assert old["_meta"]["1"]["schema_version"] == 1 and {"samples", "judgments"} <= set(old)

    store = Store(path)
    assert store.schema_version == 2 and store.recovered is None
    (backup,) = tmp_path.glob("pickwise.json.v1-backup-*")
    assert backup.read_bytes() == V1_STORE.read_bytes()
    main = json.loads(path.read_text())
    assert main["_meta"] == {"1": {"schema_version": 2}} and not PARTITIONED_TABLES & set(main)
    assert store.counts() == {name: len(table) for name, table in old.items() if name != "_meta"}
    for table in ("runs", *sorted(PARTITIONED_TABLES & set(old))):  # same documents under the same ids
        assert {str(d.pop("_id")): d for d in store.all(table)} == old[table]
    run_ids = {s["run_id"] for s in old["samples"].values()}
    assert set(store.count_by_run(Table.SAMPLES)) == run_ids
    for run_id in run_ids:
        with tinydb.TinyDB(run_file(path, "samples", run_id)) as db:
            assert len(db.table("samples")) == sum(s["run_id"] == run_id for s in old["samples"].values())

    # what was stored before still works: grading items point at the same sample ids as the old judgments
    judged = next(iter(old["judgments"].values()))
    items = {i.item_id: i for i in grading_items(store, judged["run_id"])}
    assert items[judged["item_id"]].sample_id == judged["sample_id"]
    assert store.insert(Table.SAMPLES, {"run_id": judged["run_id"]}) == max(map(int, old["samples"])) + 1

    Store(path)  # a second open migrates nothing more
    assert len(list(tmp_path.glob("pickwise.json.v1-backup-*"))) == 1


def test_a_migration_cut_short_is_done_again_from_the_untouched_main_file(tmp_path: Path) -> None:
    """Killed after writing run files but before the main file: the old main file still holds everything."""
    path = tmp_path / "pickwise.json"
    shutil.copy(V1_STORE, path)
    Store(path)
    shutil.copy(V1_STORE, path)  # the main file as it was before the migration's last write
    store = Store(path)
    old = orjson.loads(V1_STORE.read_bytes())
    assert store.count(Table.SAMPLES) == len(old["samples"]) and store.count(Table.JUDGMENTS) == len(old["judgments"])
    assert {str(d.pop("_id")): d for d in store.all(Table.SAMPLES)} == old["samples"]


def test_temp_files_a_killed_writer_left_in_the_run_folders_are_removed(store: Store, store_file: Path) -> None:
    store.insert_many(Table.SAMPLES, samples("run-a", 1))
    strays = [runs_folder(store_file) / "samples" / "run-a.json.tmp-4242-0123abcd",
              runs_folder(store_file) / "index.json.tmp-4242-0123abcd"]
    for stray in strays:
        stray.write_text('{"half": ')
    Store(store_file)
    assert not any(stray.exists() for stray in strays)


def test_queries_over_more_runs_than_stay_in_memory_change_every_run(store: Store, monkeypatch) -> None:
    monkeypatch.setattr("store.partitions.CACHED_RUN_FILES", 3)
    for n in range(8):
        store.insert_many(Table.SAMPLES, samples(f"run-{n}", 2, judge="x"))
    assert store.update_where(Table.SAMPLES, {"judge": "y"}, judge="x") == 16
    assert store.remove_where(Table.SAMPLES, prompt_id="p0") == 8
    reopened = Store(store.path)
    assert [d["judge"] for d in reopened.all(Table.SAMPLES)] == ["y"] * 8
    assert reopened.count_by_run(Table.SAMPLES) == {f"run-{n}": 1 for n in range(8)}


def test_a_newer_store_is_refused_before_any_run_file_is_touched(store: Store, store_file: Path) -> None:
    store.insert_many(Table.SAMPLES, samples("run-a", 2))
    main = json.loads(store_file.read_text())
    main["_meta"]["1"]["schema_version"] = store.schema_version + 1
    store_file.write_text(json.dumps(main))
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in runs_folder(store_file).rglob("*") if p.is_file()}
    with pytest.raises(StoreVersionError):
        Store(store_file)
    with pytest.raises(StoreVersionError):
        store.find(Table.SAMPLES, run_id="run-a")
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in runs_folder(store_file).rglob("*") if p.is_file()}
    assert after == before
