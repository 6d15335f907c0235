"""The model work the Models page runs in the background: preparing the default model and downloading a
Foundry Local model, each a job in the ``jobs`` table run by a worker process (``core.workers``), so a browser
reload or an app restart finds it running again.

Kept out of the page so the work itself, its progress messages and how a running one is found again
are plain functions the tests (and any other front end) can call; the CLI runs the same steps in the
foreground (``cli.py models prepare-default``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.engines.base import Engine
from core.jobs import JobContext, list_jobs
from core.models.default_model.pipeline import prepare_default_model
from core.models.default_model.steps import Progress
from core.refs import FOUNDRY_SOURCE
from core.workers.spawn import start_worker_job
from store import Store
from store.records import Job, JobKinds


def running_preparation(store: Store) -> Job | None:
    """The default model's preparation while it runs, else ``None``."""
    return next(iter(list_jobs(store, kind=JobKinds.PREPARE_DEFAULT, active_only=True)), None)


def start_default_model_preparation(store: Store) -> str:
    """Start preparing the default model in a worker process (``prepare_default_job``); return the job id."""
    return start_worker_job(store, JobKinds.PREPARE_DEFAULT, {}, label="Preparing the default model")


def prepare_default_job(store: Store, params: dict[str, Any], ctx: JobContext,
                        prepare: Callable[[Progress], str] = prepare_default_model) -> str:
    """A worker's default-model preparation (``core.models.default_model.pipeline``; no ``params``).

    The converter's output lines carry no percent (``None``): the bar stays where the last step put it."""
    last = 0.0

    def report(step: str, pct: float | None) -> None:
        nonlocal last
        last = pct if pct is not None else last
        ctx.progress(last, 100, step)

    return f"Default model ready: {FOUNDRY_SOURCE}:{prepare(report)}"


def running_download(store: Store, model_id: str) -> Job | None:
    """The download of ``model_id`` while it runs (the job's label is the model id), else ``None``."""
    running = list_jobs(store, kind=JobKinds.DOWNLOAD, active_only=True)
    return next((j for j in running if j.label == model_id), None)


def start_download(store: Store, model_id: str) -> str:
    """Start downloading ``model_id`` in a worker process (``download_job``); return the job id."""
    return start_worker_job(store, JobKinds.DOWNLOAD, {"model_id": model_id}, label=model_id)


def download_job(store: Store, params: dict[str, Any], ctx: JobContext, engine: Engine | None = None) -> str:
    """A worker's download (``params``: ``{model_id}``) through Foundry Local's ``prepare`` (this process's own
    engine unless one is given), cancellable between progress reports."""
    model_id = params["model_id"]
    if engine is None:
        from core.engines.foundry_local import get_foundry_engine

        engine = get_foundry_engine()
    engine.prepare(model_id, lambda pct: ctx.progress(pct, 100, f"downloading {model_id}"), ctx.cancel_event)
    ctx.check_cancel()
    return f"Downloaded {model_id}"
