"""The store under failure: newer files, full and read-only disks, a lock another process keeps.

Each failure must raise one ``StoreError`` whose message says what to do, and leave the file exactly
as it was: the main file, and a run's file for ``samples`` (``store.partitions``). Real files throughout;
the disks are real tmpfs mounts where root can make them, plus a simulated ENOSPC (an ``os.fsync`` that
refuses to grow the file past a limit) that always runs.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from store import Store, StoreBusyError, StoreError, StoreVersionError, StoreWriteError
from store.migrations import CURRENT_VERSION
from store.partitions import runs_folder
from store.records import Table
from tests.disk_faults import disk_full_at, remount_read_only, tmpfs

WORKER = Path(__file__).with_name("store_worker.py")
NEWER = CURRENT_VERSION + 1


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(".lock"))


def _snapshot(path: Path) -> tuple[bytes, int, list[str]]:
    """Bytes, mtime and the folder's files, once the previous version's background unlink is done."""
    for thread in threading.enumerate():
        if thread.name == "pickwise-store-unlink":
            thread.join()
    return path.read_bytes(), path.stat().st_mtime_ns, _listing(path.parent)


# ------------------------------------------------------------------ newer version


@pytest.mark.parametrize(
    "layout",
    [{"alerts": [{"at": "2027-01-01"}]}, {"runs": {"1": "a string"}}, {"runs": {"first": {}}}],
    ids=["table-is-a-list", "doc-is-a-string", "non-numeric-id"],
)
def test_newer_file_with_a_new_layout_is_refused_untouched(store_file: Path, layout: dict) -> None:
    store_file.write_text(json.dumps({"_meta": {"1": {"schema_version": NEWER}}, **layout}))
    before = _snapshot(store_file)
    with pytest.raises(StoreVersionError) as info:
        Store(store_file)
    assert f"version {NEWER}" in str(info.value) and "Upgrade Pickwise" in str(info.value)
    assert isinstance(info.value, StoreError)
    assert _snapshot(store_file) == before  # same bytes, same mtime, nothing moved aside


def test_unreadable_file_is_still_moved_aside(store_file: Path) -> None:
    store_file.write_text(json.dumps({"_meta": {"1": {"schema_version": CURRENT_VERSION}}, "alerts": [1]}))
    store = Store(store_file)
    assert store.recovered is not None and "alerts" in store.recovered.reason


# ------------------------------------------------------------------ full disk


def _filled(store: Store, table: str = "samples") -> Path:
    """Twenty documents of run ``r1`` in ``table``; returns the file that holds them."""
    store.insert_many(table, [{"run_id": "r1", "seq": i, "text": "answer " * 20} for i in range(20)])
    return runs_folder(store.path) / table / "r1.json" if table == "samples" else store.path


@pytest.mark.parametrize("table", ["samples", "runs"], ids=["run-file", "main-file"])
def test_simulated_full_disk_raises_one_clear_error_and_keeps_the_file(
    store: Store, monkeypatch: pytest.MonkeyPatch, table: str
) -> None:
    path = _filled(store, table)
    before = _snapshot(path)
    monkeypatch.setattr(os, "fsync", disk_full_at(path.stat().st_size + 100))
    with pytest.raises(StoreWriteError) as info:
        store.insert_many(table, [{"run_id": "r1", "seq": 99, "text": "x" * 5000}])
    assert info.value.errno == errno.ENOSPC
    assert "full" in str(info.value) and "free some space" in str(info.value)
    assert _snapshot(path) == before  # no temp file left either
    assert store.count(table) == 20  # memory forgot the refused batch
    store.insert(table, {"run_id": "r1", "seq": 20})  # a write that fits still works
    monkeypatch.undo()
    assert Store(store.path).count(table) == 21


def test_real_full_tmpfs_keeps_every_stored_document(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", "2m") as disk:
        path = disk / "pickwise.json"
        store = Store(path)
        run_file = _filled(store)
        before = _snapshot(run_file), _snapshot(path)
        with pytest.raises(StoreWriteError) as info:
            store.insert_many(Table.SAMPLES, [{"run_id": "r1", "seq": i, "pad": "x" * 100_000} for i in range(25)])
        assert info.value.errno == errno.ENOSPC and "full" in str(info.value)
        assert (_snapshot(run_file), _snapshot(path)) == before
        assert Store(path).count(Table.SAMPLES) == 20
        store.insert(Table.SAMPLES, {"seq": 20})
        assert Store(path).count(Table.SAMPLES) == 21


# ------------------------------------------------------------------ read-only


def test_read_only_store_reads_but_refuses_writes_clearly(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", "2m") as disk:
        path = disk / "pickwise.json"
        Store(path).insert(Table.RUNS, {"run_id": "kept"})
        run_file = _filled(Store(path))
        remount_read_only(disk)
        before = _snapshot(path), _snapshot(run_file)
        store = Store(path)
        assert store.read_only is not None and "read-only" in str(store.read_only)
        assert [r["run_id"] for r in store.all(Table.RUNS)] == ["kept"]
        assert len(store.find(Table.SAMPLES, run_id="r1")) == 20
        for table in ("runs", "samples"):
            with pytest.raises(StoreWriteError) as info:
                store.insert(table, {"run_id": "r1"})
            assert info.value.errno == errno.EROFS
            assert "read-only" in str(info.value) and "make it writable" in str(info.value)
        assert (_snapshot(path), _snapshot(run_file)) == before


def test_missing_store_on_a_read_only_disk_cannot_be_created(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", "1m") as disk:
        remount_read_only(disk)
        with pytest.raises(StoreWriteError) as info:
            Store(disk / "pickwise.json")
        assert info.value.errno == errno.EROFS


def test_permission_denied_is_one_clear_error(store: Store, store_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Root ignores permission bits, so EACCES is simulated where the new version replaces the old."""
    store.insert(Table.RUNS, {"run_id": "kept"})
    before = _snapshot(store_file)

    def refuse(src: object, dst: object) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(dst))

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(StoreWriteError) as info:
        store.insert(Table.RUNS, {"run_id": "new"})
    assert info.value.errno == errno.EACCES and "permission denied" in str(info.value)
    assert _snapshot(store_file) == before


# ------------------------------------------------------------------ lock held by another process


def hold_lock(path: Path) -> subprocess.Popen:
    """A separate process that takes the store's lock and keeps it until killed."""
    proc = subprocess.Popen([sys.executable, str(WORKER), "hold", str(path), str(path.parent)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    assert proc.stdout.readline().strip() == "holding"
    return proc


def test_lock_held_past_the_timeout_is_a_busy_error(store: Store, store_file: Path) -> None:
    store.insert(Table.RUNS, {"run_id": "kept"})
    before = _snapshot(store_file)
    holder = hold_lock(store_file)
    try:
        busy = Store(store_file, lock_timeout=0.3)
        assert busy.count(Table.RUNS) == 1  # reads never wait for the lock
        with pytest.raises(StoreBusyError) as info:
            busy.insert(Table.RUNS, {"run_id": "new"})
        assert "try again" in str(info.value)
    finally:
        holder.kill()
        holder.wait()
    assert _snapshot(store_file) == before
