"""Source listings fetched in the background and kept a short while, for pages that must not wait.

An endpoint's ``GET /models`` may take up to ``LIST_TIMEOUT_S`` (10 s) when its server hangs; a
Streamlit page lists every source on every rerun, so listing in line held the Models page for that long
each time. Here each endpoint is listed in a worker thread, the page waits at most ``WAIT_S`` for all of
them together, and a finished listing (or its error) is reused for ``TTL_S``: a source still being listed
is returned ``pending`` and shows up on a later rerun.

Foundry Local in-process is listed in line, every time: its listing never blocks (the public catalog
is fetched in its own thread) and its states change with the page's own Load and Unload buttons.
An endpoint edited (another URL or key variable) is a new engine, so it is listed afresh at once.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from core.models.sources import SourceListing, Sources, list_source
from core.refs import FOUNDRY_SOURCE

TTL_S = 30.0
WAIT_S = 0.3


@dataclass(frozen=True)
class _Fetch:
    future: Future[SourceListing]
    started: float


class BackgroundListings:
    """Every source's listing without waiting more than ``wait_s`` for the slow ones (see the module)."""

    def __init__(self, ttl_s: float = TTL_S, wait_s: float = WAIT_S, workers: int = 4) -> None:
        self._ttl_s = ttl_s
        self._wait_s = wait_s
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pickwise-listing")
        self._lock = threading.Lock()
        self._fetches: dict[str, _Fetch] = {}  # repr(engine): its URL and key variable, so an edit misses

    def listings(self, sources: Sources) -> list[SourceListing]:
        engines = sources.engines()
        now = time.monotonic()
        with self._lock:
            kept: dict[str, _Fetch] = {}
            for name, engine in engines:
                if name == FOUNDRY_SOURCE:
                    continue
                key = repr(engine)
                fetch = self._fetches.get(key)
                if fetch is None or (fetch.future.done() and now - fetch.started > self._ttl_s):
                    fetch = _Fetch(self._pool.submit(list_source, name, engine), now)
                kept[key] = fetch
            self._fetches = kept  # removed endpoints are forgotten
        concurrent.futures.wait([fetch.future for fetch in kept.values()], timeout=self._wait_s)
        out: list[SourceListing] = []
        for name, engine in engines:
            if name == FOUNDRY_SOURCE:
                out.append(list_source(name, engine))
                continue
            future = kept[repr(engine)].future
            out.append(future.result() if future.done() else SourceListing(name, [], pending=True))
        return out

    def forget(self) -> None:
        """List every endpoint afresh on the next call (a Refresh button)."""
        with self._lock:
            self._fetches = {}


background_listings = BackgroundListings()
