"""Process-wide resources for the Streamlit app, created once per server process.

``st.cache_resource`` makes the store, the Foundry Local engine (its manager is a process
singleton) and the job clean-up happen once, however many browser sessions connect. Jobs themselves run
in worker processes (``core.workers``): the app only starts, follows and cancels them.
"""

from __future__ import annotations

import os

import streamlit as st

from core.engines.base import Engine, EngineError
from core.jobs import mark_orphans_interrupted
from core.models.sources import Sources
from core.paths import store_path
from core.workers import spawn as workers
from store import Store, open_store


@st.cache_resource(show_spinner=False)
def _store_at(path: str) -> Store:
    store = open_store(path)  # as the CLI does: PICKWISE_LOCK_TIMEOUT applies to the app too
    mark_orphans_interrupted(store)
    return store


def get_store() -> Store:
    """The store for the current ``PICKWISE_DB`` (one open store per file per process)."""
    return _store_at(str(store_path()))


@st.cache_resource(show_spinner="Starting Foundry Local…")
def _foundry() -> tuple[Engine | None, str | None]:
    from core.engines.foundry_local import get_foundry_engine

    try:
        return get_foundry_engine(), None
    except EngineError as exc:
        return None, str(exc)


def foundry_engine() -> Engine | None:
    return _foundry()[0]


def foundry_error() -> str | None:
    return _foundry()[1]


def _resolve_key(name: str) -> str | None:
    """API keys come from the environment, else from Streamlit secrets; never from the store."""
    value = os.environ.get(name)
    if value:
        return value
    try:
        return st.secrets.get(name)
    except Exception:  # no secrets.toml, or one that does not parse: treat as "no key configured"
        return None


def get_sources() -> Sources:
    return Sources(get_store(), foundry_engine(), key_resolver=_resolve_key)


def cancel_job(job_id: str) -> bool:
    """Cancel a running job of this app's store, wherever its worker runs (``core.workers.cancel_job``)."""
    return workers.cancel_job(get_store(), job_id)
