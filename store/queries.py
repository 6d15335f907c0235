"""Reads and writes every part of Pickwise shares, next to the records they read and write.

Writes take records (``store.records``) and check them against the contract before anything
reaches the file. Reads that several steps make (which runs are benchmark evidence, which samples
statistics count, one run by id) are written once, here, so the steps cannot drift apart.

Reads return records, except samples: they are read as plain dicts, because a store holds hundreds of
thousands of them and validating each on every read would cost seconds (``store.records`` has the
measurement); they were checked when written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from store.db import Store
from store.records import GradedItem, JobKinds, ModelResult, Record, Run, RunKind, Table

R = TypeVar("R", bound=Record)
G = TypeVar("G", bound=GradedItem)
D = TypeVar("D", bound=Mapping[str, Any])
BENCHMARK: RunKind = "benchmark"
_UNFINISHED = ("queued", "running")
_WITH_RESULTS = ("completed", "partial")
_JUDGING = (JobKinds.JUDGE, JobKinds.PAIRWISE)


# ------------------------------------------------------------------ writes


def insert(store: Store, record: Record) -> int:
    """Store one record (checked against its contract); return its document id."""
    return store.insert(record.TABLE, record.to_doc())


def insert_many(store: Store, records: Sequence[Record]) -> list[int]:
    """Store records of one table in one write."""
    tables = {r.TABLE for r in records}
    if len(tables) > 1:
        raise ValueError(f"insert_many writes one table at a time, got {sorted(tables)}.")
    return store.insert_many(records[0].TABLE, [r.to_doc() for r in records]) if records else []


def update(store: Store, cls: type[Record], doc_id: int, fields: Mapping[str, Any]) -> None:
    """Change some fields of one document, each checked against ``cls``."""
    store.update(cls.TABLE, doc_id, cls.fields_doc(fields))


# ------------------------------------------------------------------ typed reads


def find(store: Store, cls: type[R], /, **equals: Any) -> list[R]:
    """Every document of ``cls``'s table whose fields equal ``equals``, as records."""
    return [cls.read(doc) for doc in store.find(cls.TABLE, **equals)]


def first(store: Store, cls: type[R], /, **equals: Any) -> R | None:
    """The first matching record (for fields that are unique, like ``run_id``), or ``None``."""
    found = store.find(cls.TABLE, **equals)
    return cls.read(found[0]) if found else None


def get_run(store: Store, run_id: str) -> Run | None:
    return first(store, Run, run_id=run_id)


def get_runs(store: Store, run_ids: Iterable[str]) -> list[Run]:
    """The runs with these ids, in their order; an unknown id is a ``ValueError``."""
    runs = []
    for run_id in run_ids:
        run = get_run(store, run_id)
        if run is None:
            raise ValueError(f"No run {run_id!r} in the store.")
        runs.append(run)
    return runs


# ------------------------------------------------------------------ shared filters


def is_finished(run: Run) -> bool:
    """No process works on the run any more (whatever its outcome)."""
    return run.status not in _UNFINISHED


def newest_first(runs: Iterable[Run]) -> list[Run]:
    """Runs ordered by ``created_at``, newest first."""
    return sorted(runs, key=lambda r: r.created_at, reverse=True)


def benchmark_runs(store: Store, *, finished_only: bool = False) -> list[Run]:
    """Stored benchmark runs, newest first (probes are one-sample checks, not comparable evidence);
    ``finished_only`` leaves out the queued and running ones (what Decide may rank)."""
    return newest_first(r for r in find(store, Run, kind=BENCHMARK) if is_finished(r) or not finished_only)


def run_counts(store: Store) -> dict[str, int]:
    """How many runs of each kind are stored (``{"benchmark": 2, "probe": 5}``; a kind with none is absent):
    a probe is stored as a run too, so a bare count of runs disagrees with the Benchmark page's list."""
    counts: dict[str, int] = defaultdict(int)
    for run in store.find(Table.RUNS):
        counts[run.get("kind", BENCHMARK)] += 1
    return dict(counts)


def judging_job_count(store: Store) -> int:
    """Judging jobs stored (a judge scoring answers, or comparing them pairwise), whatever their outcome."""
    return sum(1 for job in store.find(Table.JOBS) if job.get("kind") in _JUDGING)


def produced_results(model: ModelResult) -> bool:
    """A run's model entry (``runs.models[ref]``) whose samples are evidence: ``completed`` or ``partial``."""
    return model.status in _WITH_RESULTS


def is_counted(sample: Mapping[str, Any]) -> bool:
    """Statistics count a sample unless it was a warm-up or failed."""
    return not sample.get("warmup") and not sample.get("error")


def counted_samples(samples: Iterable[D]) -> list[D]:
    """The samples statistics count (``is_counted``), in order."""
    return [s for s in samples if is_counted(s)]


def run_samples(store: Store, run_id: str) -> list[dict[str, Any]]:
    """Every sample of one run, in the order they were stored."""
    return store.find(Table.SAMPLES, run_id=run_id)


def scores_for(store: Store, cls: type[G], run_id: str, rubric_name: str, rubric_version: int | None,
               *, controls: bool = False, **equals: Any) -> list[G]:
    """The judgments or grades (``cls``) of one run under one rubric version; ``equals`` narrows them
    further (e.g. ``judge_ref=...``, ``grader=...``), and an ``equals`` value of ``None`` means "any".

    Control answers (``Judgment.control``: known-good and known-bad answers that test a judge) are no
    model's answers, so they are left out, here, for every reader of quality, unless ``controls``."""
    where = {key: value for key, value in equals.items() if value is not None}
    found = find(store, cls, run_id=run_id, rubric_name=rubric_name, rubric_version=rubric_version, **where)
    return found if controls else [r for r in found if getattr(r, "control", None) is None]
