"""The request loop every judging job shares: one judge, loaded once, asked item by item.

The judge is loaded for the whole job and unloaded after it; each reply is handed on as it comes in and
stored in batches (flushed even when the job stops early); cancel is honoured between requests; a request
that fails is counted, and a judge that cannot be reached twice in a row ends the job with ``EngineError``.
What a job asks and what it does with a reply are its own (``judge``, ``pairwise``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from core.benchmark.runner import Control
from core.engines.base import Engine, EngineError
from core.engines.session import FailureStreak, LoadedModel
from core.models.sources import Sources
from store import BatchWriter, Store
from store.records import Table

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


def ask_each(sources: Sources, store: Store, judge_ref: str, todo: Sequence[T], control: Control,
             counts: dict[str, Any], *, table: Table, ask: Callable[[Engine, str, T], R],
             handle: Callable[[T, R, BatchWriter], None], job: str, verb: str) -> None:
    """Ask the judge ``judge_ref`` about each item of ``todo`` and hand each reply to ``handle``.

    ``ask(engine, model_id, item)`` asks about one item (may raise ``EngineError``); ``handle(item, reply,
    writer)`` stores it (``writer`` batches into ``table``) and tallies ``counts``; it may raise to stop
    the job. Sets ``counts["cancelled"]`` and counts ``counts["failed"]``; ``job`` ("Judging") opens the
    message of a job stopped by failures, ``verb`` ("judged") the progress line.
    """
    engine, model_id = sources.resolve(judge_ref)
    control.progress(0, len(todo), f"{judge_ref}: loading", force=True)
    writer = BatchWriter(store, table)
    failures = FailureStreak()
    with LoadedModel.open(engine, model_id) as session:
        try:
            for n, item in enumerate(todo, start=1):
                if control.cancelled:
                    counts["cancelled"] = True
                    break
                try:
                    reply = ask(engine, model_id, item)
                except EngineError as exc:
                    counts["failed"] += 1
                    if failures.record(exc):
                        raise EngineError(f"{job} stopped after {failures.count} failures in a row: {exc}") from exc
                    continue
                failures.record(None)
                handle(item, reply, writer)
                control.progress(n, len(todo), f"{judge_ref} {verb} {n} of {len(todo)}")
        finally:
            writer.flush()
    if session.unload_error:
        log.warning("The judge %s could not be unloaded: %s", judge_ref, session.unload_error)
    control.progress(len(todo), len(todo), f"{job.lower()} finished", force=True)
