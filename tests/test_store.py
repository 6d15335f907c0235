"""The store against real files: concurrency, crashes, corruption, migrations, caching.

Multi-process tests drive ``tests/store_worker.py`` in subprocesses; nothing touches a mock
filesystem. ``samples`` live in per-run files (``tests/test_store_partitions.py`` covers the
layout); here they are read back from disk with ``raw_table``.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import tinydb

from store import RecoveryNotice, Store, StoreVersionError, open_store
from store.partitions import runs_folder
from store.records import Table
from store.storage import TEMP_INFIX

WORKER = Path(__file__).with_name("store_worker.py")


# ------------------------------------------------------------------ helpers


def raw(path: Path) -> dict:
    """The file as plain JSON, read without the store (so it also proves the file is valid)."""
    return json.loads(path.read_text())


def raw_table(store_file: Path, table: str) -> dict:
    """Every document of a per-run table as stored on disk, merged over its run files."""
    merged: dict = {}
    for path in sorted((runs_folder(store_file) / table).glob("*.json")):
        merged.update(raw(path)[table])
    return merged


def temp_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if TEMP_INFIX in p.name]


def start_workers(path: Path, tmp_path: Path, *commands: list[str]) -> tuple[list[subprocess.Popen], Path]:
    """Start one worker per command; they block until the returned go-file is created."""
    go = tmp_path / f"go-{time.monotonic_ns()}"
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), cmd[0], str(path), str(go), *cmd[1:]],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for cmd in commands
    ]
    for proc in procs:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read() if proc.stderr else ""
    return procs, go


def finish(procs: list[subprocess.Popen]) -> list[str]:
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        outputs.append(out.strip())
    return outputs


def write_version(path: Path, version: int, extra: dict | None = None) -> None:
    data = {"_meta": {"1": {"schema_version": version}}, **(extra or {})}
    path.write_text(json.dumps(data))


# ------------------------------------------------------------------ API basics


def test_new_file_is_a_versioned_tinydb_file(store: Store, store_file: Path) -> None:
    assert store.recovered is None
    assert raw(store_file) == {"_meta": {"1": {"schema_version": store.schema_version}}}
    assert store.counts() == {}


def test_crud_round_trip(store: Store) -> None:
    ids = store.insert_many(Table.RUNS, [{"run_id": "a", "status": "queued"}, {"run_id": "b", "status": "queued"}])
    assert ids == [1, 2]
    assert store.insert(Table.RUNS, {"run_id": "c", "status": "running"}) == 3
    assert store.get(Table.RUNS, 2) == {"run_id": "b", "status": "queued", "_id": 2}
    assert store.get(Table.RUNS, 99) is None
    assert [d["run_id"] for d in store.find(Table.RUNS, status="queued")] == ["a", "b"]
    assert store.find(Table.RUNS, status="queued", run_id="b") == [{"run_id": "b", "status": "queued", "_id": 2}]
    assert store.find(Table.RUNS, _id=3)[0]["run_id"] == "c"
    store.update(Table.RUNS, 1, {"status": "completed", "settings": {"rounds": 3}})
    assert store.get(Table.RUNS, 1) == {"run_id": "a", "status": "completed", "settings": {"rounds": 3}, "_id": 1}
    assert store.update_where(Table.RUNS, {"status": "cancelled"}, status="queued") == 1
    assert store.update_where(Table.RUNS, {"status": "x"}, status="nope") == 0
    assert store.remove_where(Table.RUNS, status="cancelled") == 1
    store.remove(Table.RUNS, 3)
    assert [d["_id"] for d in store.all(Table.RUNS)] == [1]
    assert store.count(Table.RUNS) == 1 and store.count("missing") == 0
    assert store.counts() == {"runs": 1}
    with pytest.raises(KeyError):
        store.update(Table.RUNS, 3, {"status": "x"})
    with pytest.raises(KeyError):
        store.remove(Table.RUNS, 3)
    with pytest.raises(ValueError):
        store.remove_where(Table.RUNS)
    with pytest.raises(ValueError):
        store.insert("_meta", {"schema_version": 99})


def test_id_is_returned_but_never_stored(store: Store, store_file: Path) -> None:
    doc_id = store.insert(Table.SAMPLES, {"_id": 42, "text": "hi"})
    assert doc_id == 1
    store.update(Table.SAMPLES, doc_id, {"_id": 7, "text": "ho"})
    assert raw_table(store_file, "samples") == {"1": {"text": "ho"}}
    assert store.all(Table.SAMPLES) == [{"text": "ho", "_id": 1}]


def test_returned_and_inserted_docs_are_independent_copies(store: Store) -> None:
    doc = {"models": {"m": {"status": "ok"}}, "tags": [1]}
    doc_id = store.insert(Table.RUNS, doc)
    doc["models"]["m"]["status"] = "changed by caller"
    got = store.get(Table.RUNS, doc_id)
    assert got is not None and got["models"]["m"]["status"] == "ok"
    got["models"]["m"]["status"] = "changed by reader"
    got["tags"].append(2)
    store.update(Table.RUNS, doc_id, {"note": "x"})  # a later write must not persist the reader's edits
    assert store.get(Table.RUNS, doc_id) == {"models": {"m": {"status": "ok"}}, "tags": [1], "note": "x", "_id": 1}


def test_values_are_normalised_to_json(store: Store) -> None:
    store.insert(Table.SAMPLES, {"pair": (1, 2), "keys": {3: "x"}})
    assert store.find(Table.SAMPLES, pair=(1, 2)) == [{"pair": [1, 2], "keys": {"3": "x"}, "_id": 1}]
    with pytest.raises(TypeError):
        store.insert(Table.SAMPLES, {"bad": object()})
    assert store.count(Table.SAMPLES) == 1


def test_insert_many_is_one_write_per_file(store: Store) -> None:
    before = store.stats["file_writes"]
    store.insert_many(Table.RUNS, [{"i": i} for i in range(500)])
    assert store.stats["file_writes"] == before + 1  # the main file
    store.insert_many(Table.SAMPLES, [{"i": i} for i in range(500)])
    assert store.stats["file_writes"] == before + 3  # the run's file and the index
    store.update_where(Table.SAMPLES, {"x": 1}, i=-1)  # matches nothing: no write
    store.update_where(Table.RUNS, {"x": 1}, i=-1)
    assert store.stats["file_writes"] == before + 3


def test_appends_after_an_update_keep_the_file_exact(store: Store, store_file: Path) -> None:
    # Exercises the cached per-table encoding: append, invalidate by update, append again.
    store.insert_many(Table.SAMPLES, [{"i": i} for i in range(3)])
    store.insert_many(Table.SAMPLES, [{"i": i} for i in range(3, 5)])
    store.update(Table.SAMPLES, 2, {"i": "two"})
    store.insert(Table.SAMPLES, {"i": 5})
    store.insert(Table.RUNS, {"run_id": "r"})
    store.remove(Table.SAMPLES, 1)
    store.insert(Table.SAMPLES, {"i": 6})
    expected = {"2": {"i": "two"}, "3": {"i": 2}, "4": {"i": 3}, "5": {"i": 4}, "6": {"i": 5}, "7": {"i": 6}}
    assert raw_table(store_file, "samples") == expected
    assert raw(store_file)["runs"] == {"1": {"run_id": "r"}}
    assert Store(store_file).all(Table.SAMPLES) == store.all(Table.SAMPLES)


def test_file_is_readable_by_plain_tinydb_and_vice_versa(tmp_path: Path) -> None:
    ours = Store(tmp_path / "ours.json")
    ours.insert_many(Table.SAMPLES, [{"a": 1}, {"a": 2}])
    ours.insert(Table.RUNS, {"run_id": "r"})
    with tinydb.TinyDB(tmp_path / "ours.json") as db:
        assert db.table("runs").all() == [{"run_id": "r"}]
    with tinydb.TinyDB(runs_folder(tmp_path / "ours.json") / "samples" / "_unassigned.json") as db:
        assert db.table("samples").all() == [{"a": 1}, {"a": 2}]

    with tinydb.TinyDB(tmp_path / "theirs.json") as db:
        db.table("runs").insert_multiple([{"run_id": "x"}, {"run_id": "y"}])
    theirs = Store(tmp_path / "theirs.json")
    assert theirs.recovered is None
    assert [d["run_id"] for d in theirs.all(Table.RUNS)] == ["x", "y"]
    assert theirs.insert(Table.RUNS, {"run_id": "z"}) == 3


def test_transaction_writes_once_and_rolls_back_on_error(store: Store, store_file: Path) -> None:
    before = store.stats["file_writes"]
    with store.transaction() as tx:
        job = tx.insert(Table.JOBS, {"state": "running"})
        tx.update(Table.JOBS, job, {"message": "half"})
        assert tx.get(Table.JOBS, job) == {"state": "running", "message": "half", "_id": job}
    assert store.stats["file_writes"] == before + 1

    snapshot = store_file.read_bytes()
    with pytest.raises(RuntimeError), store.transaction():
        store.insert(Table.JOBS, {"state": "running"})
        store.update(Table.JOBS, job, {"state": "failed"})
        raise RuntimeError("boom")
    assert store_file.read_bytes() == snapshot
    assert store.all(Table.JOBS) == [{"state": "running", "message": "half", "_id": job}]


def test_open_store_opens_the_path_it_is_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Resolving ``--db`` / ``PICKWISE_DB`` is the caller's job (``core.paths``): the store never reads them."""
    monkeypatch.setenv("PICKWISE_DB", str(tmp_path / "elsewhere.json"))
    store = open_store(tmp_path / "a.json")
    assert store.path == (tmp_path / "a.json").resolve() and (tmp_path / "a.json").exists()
    assert not (tmp_path / "elsewhere.json").exists()


# ------------------------------------------------------------------ concurrency


def test_threads_sharing_and_not_sharing_a_store_lose_nothing(store_file: Path) -> None:
    shared = Store(store_file)
    per_thread = 40
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def work(writer: int) -> None:
        try:
            store = shared if writer < 4 else Store(store_file)  # same object, and separate objects
            barrier.wait()
            for seq in range(per_thread):
                if seq % 10 == 0:
                    store.insert_many(Table.SAMPLES, [{"writer": writer, "seq": seq, "batch": True}])
                else:
                    store.insert(Table.SAMPLES, {"writer": writer, "seq": seq})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    samples = raw_table(store_file, "samples")
    assert sorted(map(int, samples)) == list(range(1, 8 * per_thread + 1))
    seen = sorted((d["writer"], d["seq"]) for d in samples.values())
    assert seen == [(w, s) for w in range(8) for s in range(per_thread)]
    assert len(shared.all(Table.SAMPLES)) == 8 * per_thread


def test_processes_writing_at_once_lose_nothing(store_file: Path, tmp_path: Path) -> None:
    Store(store_file)
    procs, go = start_workers(
        store_file, tmp_path, ["insert", "w0", "60", "1"], ["insert", "w1", "60", "1"], ["insert", "w2", "60", "20"]
    )
    go.touch()
    finish(procs)
    samples = raw_table(store_file, "samples")
    assert sorted(map(int, samples)) == list(range(1, 181))
    assert sorted((d["writer"], d["seq"]) for d in samples.values()) == [
        (w, s) for w in ("w0", "w1", "w2") for s in range(60)
    ]


def test_transactions_serialise_read_modify_write_across_processes(store_file: Path, tmp_path: Path) -> None:
    store = Store(store_file)
    store.insert("counters", {"value": 0})
    procs, go = start_workers(store_file, tmp_path, *[["increment", "25"]] * 3)
    with store.transaction():  # hold the lock while they start: they must wait, then all apply
        go.touch()
        time.sleep(0.2)
        store.update("counters", 1, {"value": 1000})
    finish(procs)
    assert store.get("counters", 1) == {"value": 1075, "_id": 1}


def test_exactly_one_claimer_wins(store_file: Path, tmp_path: Path) -> None:
    Store(store_file)
    procs, go = start_workers(store_file, tmp_path, *[["claim", f"p{n}"] for n in range(4)])
    go.touch()
    results = finish(procs)
    assert sorted(results) == ["lost", "lost", "lost", "won"]
    assert len(raw(store_file)["jobs"]) == 1


def test_killed_writer_leaves_a_readable_consistent_prefix(store_file: Path, tmp_path: Path) -> None:
    rng = random.Random(1234)
    for attempt in range(5):
        store_file.unlink(missing_ok=True)
        Store(store_file)
        (proc,), go = start_workers(store_file, tmp_path, ["loop"])
        go.touch()
        assert proc.stdout is not None and proc.stderr is not None
        target = 10 + 5 * attempt
        for line in proc.stdout:
            if int(line) >= target:
                break
        time.sleep(rng.uniform(0, 0.02))  # land anywhere in a write cycle
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()

        for path in (store_file, *runs_folder(store_file).rglob("*.json")):
            json.loads(path.read_bytes())  # every file is valid JSON even before any clean-up
        reopened = Store(store_file)
        assert reopened.recovered is None
        docs = reopened.all(Table.SAMPLES)
        assert [d["seq"] for d in docs] == list(range(len(docs)))
        assert len(docs) > target
        assert [d["_id"] for d in docs] == list(range(1, len(docs) + 1))
        assert not temp_files(tmp_path)


# ------------------------------------------------------------------ cache and visibility


def test_reads_use_memory_until_the_file_changes(store_file: Path, tmp_path: Path) -> None:
    store = Store(store_file)
    store.insert(Table.SAMPLES, {"n": 1})
    reads = store.stats["file_reads"]
    for _ in range(50):
        assert store.count(Table.SAMPLES) == 1
        store.find(Table.SAMPLES, n=1)
    assert store.stats["file_reads"] == reads  # our own write did not trigger a re-read either

    (proc,), go = start_workers(store_file, tmp_path, ["touch"])
    go.touch()
    (new_id,) = finish([proc])
    assert store.get(Table.SAMPLES, int(new_id)) == {"from": "worker", "_id": int(new_id)}
    assert store.stats["file_reads"] == reads + 2  # the index and the one run file; not the main file


def test_same_size_rewrites_by_another_store_are_never_missed(store_file: Path) -> None:
    # Consecutive versions with equal size (and possibly a reused inode and the same clock
    # tick) must still look different, or a reader would serve a stale cache.
    a, b = Store(store_file), Store(store_file)
    doc = a.insert(Table.RUNS, {"status": "a"})
    for _ in range(100):
        a.update(Table.RUNS, doc, {"status": "a"})
        assert b.get(Table.RUNS, doc) == {"status": "a", "_id": doc}
        b.update(Table.RUNS, doc, {"status": "b"})
        b.update(Table.RUNS, doc, {"status": "c"})
        assert a.get(Table.RUNS, doc) == {"status": "c", "_id": doc}


def test_every_write_gets_a_strictly_later_mtime(store: Store, store_file: Path) -> None:
    # The reload check compares (inode, size, mtime_ns); kernel timestamps are only as fine as
    # the clock tick, so quick same-size writes would otherwise share an mtime.
    doc = store.insert(Table.RUNS, {"status": "a"})
    stamps = []
    for n in range(50):
        store.update(Table.RUNS, doc, {"status": "ab"[n % 2]})
        stamps.append(store_file.stat().st_mtime_ns)
    assert all(later > earlier for earlier, later in zip(stamps, stamps[1:], strict=False))


def test_stray_temp_files_are_removed_at_open(store_file: Path) -> None:
    Store(store_file)
    stray = store_file.with_name(f"{store_file.name}{TEMP_INFIX}4242-0123abcd")
    stray.write_text('{"half": ')
    unrelated = [store_file.with_name(n) for n in ("pickwise.json.tmp-notes", "other.json.tmp-1-0123abcd")]
    for path in unrelated:
        path.write_text("keep me")
    Store(store_file)
    assert not stray.exists()
    assert all(p.exists() for p in unrelated)


def test_fresh_temp_files_survive_while_another_process_holds_the_lock(store_file: Path) -> None:
    from filelock import FileLock

    Store(store_file)
    fresh = store_file.with_name(f"{store_file.name}{TEMP_INFIX}1-0000000a")
    old = store_file.with_name(f"{store_file.name}{TEMP_INFIX}2-0000000b")
    fresh.write_text("in progress")
    old.write_text("abandoned")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    with FileLock(store_file.with_name(store_file.name + ".lock")):  # another "writer" holds it
        Store(store_file)
    assert fresh.exists() and not old.exists()


# ------------------------------------------------------------------ corruption


@pytest.mark.parametrize(
    ("content", "reason_part"),
    [
        (b"\x00\xff\xfegarbage\x00", "not valid JSON"),
        (b'{"_meta": {"1": {"schema_version": 1}}, "samples": {"1": {"text": "cut he', "not valid JSON"),
        (b"[1, 2, 3]", "list"),
        (b'{"samples": [1, 2]}', "samples"),
        (b'{"samples": {"1": "text"}}', "not an object"),
        (b'{"_meta": {"1": {"schema_version": "one"}}}', "schema_version"),
    ],
    ids=["garbage", "truncated", "list", "table-not-object", "doc-not-object", "bad-version"],
)
def test_corrupt_file_is_moved_aside_not_overwritten(store_file: Path, content: bytes, reason_part: str) -> None:
    store_file.write_bytes(content)
    store = Store(store_file)
    notice = store.recovered
    assert isinstance(notice, RecoveryNotice)
    assert notice.path == store_file.resolve()
    assert notice.moved_to.read_bytes() == content
    assert notice.moved_to.name.startswith("pickwise.json.corrupt-")
    assert reason_part in notice.reason
    text = str(notice)
    assert str(notice.path) in text and str(notice.moved_to) in text and "Nothing was deleted" in text
    assert raw(store_file) == {"_meta": {"1": {"schema_version": store.schema_version}}}
    assert store.insert(Table.SAMPLES, {"ok": True}) == 1

    # A second corrupt file gets its own name; the first moved-aside file is untouched.
    store_file.write_bytes(b"{nope")
    second = Store(store_file).recovered
    assert second is not None and second.moved_to != notice.moved_to
    assert notice.moved_to.read_bytes() == content and second.moved_to.read_bytes() == b"{nope"


def test_empty_file_is_a_new_store_without_notice(store_file: Path) -> None:
    store_file.write_bytes(b"")
    store = Store(store_file)
    assert store.recovered is None
    assert raw(store_file)["_meta"]["1"]["schema_version"] == store.schema_version


# ------------------------------------------------------------------ versions and migrations


def test_migrations_run_once_in_order_with_a_backup(store_file: Path) -> None:
    calls: list[str] = []

    def add_device(tables: dict) -> None:
        calls.append("1->2")
        for run in tables.get("runs", {}).values():
            run["device"] = "cpu"

    def rename_status(tables: dict) -> dict:
        calls.append("2->3")
        assert all("device" in run for run in tables["runs"].values())  # saw step 1's result
        runs = {
            key: {"state" if f == "status" else f: x for f, x in run.items()} for key, run in tables["runs"].items()
        }
        return {**tables, "runs": runs}

    write_version(store_file, 1, {"runs": {"1": {"status": "completed"}}})
    original = store_file.read_bytes()
    store = Store(store_file, migrations=[add_device, rename_status])
    assert calls == ["1->2", "2->3"]
    assert store.schema_version == 3
    assert raw(store_file)["_meta"] == {"1": {"schema_version": 3}}
    assert store.all(Table.RUNS) == [{"device": "cpu", "state": "completed", "_id": 1}]
    backups = list(store_file.parent.glob("pickwise.json.v1-backup-*"))
    assert len(backups) == 1 and backups[0].read_bytes() == original

    Store(store_file, migrations=[add_device, rename_status])
    assert calls == ["1->2", "2->3"]

    write_version(store_file, 2, {"runs": {"1": {"status": "queued", "device": "gpu"}}})
    Store(store_file, migrations=[add_device, rename_status])
    assert calls == ["1->2", "2->3", "2->3"]


def test_concurrent_opens_migrate_once(store_file: Path) -> None:
    calls: list[int] = []
    write_version(store_file, 1, {"runs": {"1": {"n": 1}}})
    barrier = threading.Barrier(4)

    def step(tables: dict) -> None:
        calls.append(1)
        time.sleep(0.05)

    def open_it() -> None:
        barrier.wait()
        Store(store_file, migrations=[step])

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == [1]
    assert raw(store_file)["_meta"]["1"]["schema_version"] == 2


def test_failed_migration_changes_nothing(store_file: Path) -> None:
    def broken(tables: dict) -> None:
        tables["runs"]["1"]["half"] = True
        raise RuntimeError("bug in migration")

    write_version(store_file, 1, {"runs": {"1": {"n": 1}}})
    original = store_file.read_bytes()
    with pytest.raises(RuntimeError):
        Store(store_file, migrations=[broken])
    assert store_file.read_bytes() == original


def test_newer_version_is_refused_and_left_alone(store_file: Path) -> None:
    write_version(store_file, 7, {"runs": {"1": {"n": 1}}})
    original = store_file.read_bytes()
    before = sorted(p.name for p in store_file.parent.iterdir())
    with pytest.raises(StoreVersionError) as info:
        Store(store_file)
    message = str(info.value)
    assert "version 7" in message and "Upgrade Pickwise" in message
    assert store_file.read_bytes() == original
    after = sorted(p.name for p in store_file.parent.iterdir() if not p.name.endswith(".lock"))
    assert after == before


def test_newer_version_written_while_open_is_refused(store_file: Path) -> None:
    store = Store(store_file)
    store.insert(Table.RUNS, {"n": 1})
    time.sleep(0.01)
    write_version(store_file, 99)
    original = store_file.read_bytes()
    with pytest.raises(StoreVersionError):
        store.all(Table.RUNS)
    with pytest.raises(StoreVersionError):
        store.insert(Table.RUNS, {"n": 2})
    assert store_file.read_bytes() == original
