"""The model work the Models page runs in the background: preparing the default model, downloading a
Foundry Local model and adding the user's own model (``custom_model``), each a job in the ``jobs`` table
run by a worker process (``core.workers``), so a browser reload or an app restart finds it running again.

Kept out of the page so the work itself, its progress messages and how a running one is found again
are plain functions the tests (and any other front end) can call; the CLI runs the same steps in the
foreground (``cli.py models prepare-default``, ``cli.py models add``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from core.engines.base import Engine
from core.jobs import JobCancelled, JobContext, list_jobs
from core.models.custom_model import Addition, add_model, plan_addition
from core.models.default_model.pipeline import prepare_default_model
from core.models.default_model.steps import Progress, StepCancelled
from core.refs import FOUNDRY_SOURCE
from core.workers.spawn import start_worker_job
from store import Store
from store.records import Job, JobKinds

if TYPE_CHECKING:
    from core.engines.foundry_local import FoundryLocalEngine


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


def latest_addition(store: Store) -> Job | None:
    """The newest ``add-model`` job (running or ended), else ``None``: the Models page shows it."""
    return next(iter(list_jobs(store, kind=JobKinds.ADD_MODEL)), None)


def start_add_model(store: Store, addition: Addition) -> str:
    """Start adding a planned model (``custom_model.plan_addition``) in a worker process; return the job id."""
    return start_worker_job(store, JobKinds.ADD_MODEL, addition.as_params(), label=f"Adding {addition.model_id}")


def add_model_job(store: Store, params: dict[str, Any], ctx: JobContext, engine: FoundryLocalEngine | None = None
                  ) -> str:
    """A worker's model addition (``params``: ``{path, model_id}``), planned again here (the disk may have
    filled since), with progress and Cancel (which stops the running conversion step at once)."""
    if engine is None:
        from core.engines.foundry_local import FoundryLocalEngine

        engine = FoundryLocalEngine()
    last = 0.0

    def report(step: str, pct: float | None) -> None:
        nonlocal last
        last = pct if pct is not None else last
        ctx.progress(last, 100, step)

    try:
        return add_model(engine, plan_addition(engine, params["path"], params["model_id"]), report,
                         ctx.cancel_event)
    except StepCancelled:
        raise JobCancelled() from None
