"""The model work the Models page runs in the background: preparing the default model and downloading a
Foundry Local model, each a job in the ``jobs`` table (so a browser reload finds it running again).

Kept out of the page so the work itself, its progress messages and how a running one is found again
are plain functions the tests (and any other front end) can call; the CLI runs the same steps in the
foreground (``cli.py models prepare-default``).
"""

from __future__ import annotations

from collections.abc import Callable

from core.engines.base import Engine
from core.jobs import JobContext, list_jobs, start_job
from core.models.default_model.pipeline import prepare_default_model
from core.models.default_model.steps import Progress
from core.refs import FOUNDRY_SOURCE
from store import Store
from store.records import Job, JobKinds


def running_preparation(store: Store) -> Job | None:
    """The default model's preparation while it runs, else ``None``."""
    return next(iter(list_jobs(store, kind=JobKinds.PREPARE_DEFAULT, active_only=True)), None)


def start_default_model_preparation(store: Store,
                                    prepare: Callable[[Progress], str] = prepare_default_model) -> str:
    """Start preparing the default model (``core.models.default_model.pipeline``); return the job id.

    The converter's output lines carry no percent (``None``): the bar stays where the last step put it."""

    def work(ctx: JobContext) -> str:
        last = 0.0

        def report(step: str, pct: float | None) -> None:
            nonlocal last
            last = pct if pct is not None else last
            ctx.progress(last, 100, step)

        return f"Default model ready: {FOUNDRY_SOURCE}:{prepare(report)}"

    return start_job(store, JobKinds.PREPARE_DEFAULT, work, label="Preparing the default model")


def running_download(store: Store, model_id: str) -> Job | None:
    """The download of ``model_id`` while it runs (the job's label is the model id), else ``None``."""
    running = list_jobs(store, kind=JobKinds.DOWNLOAD, active_only=True)
    return next((j for j in running if j.label == model_id), None)


def start_download(store: Store, engine: Engine, model_id: str) -> str:
    """Start downloading ``model_id`` through ``engine.prepare``, cancellable between progress reports;
    return the job id."""

    def work(ctx: JobContext) -> str:
        engine.prepare(model_id, lambda pct: ctx.progress(pct, 100, f"downloading {model_id}"), ctx.cancel_event)
        ctx.check_cancel()
        return f"Downloaded {model_id}"

    return start_job(store, JobKinds.DOWNLOAD, work, label=model_id)
