"""Using one model for one task: load it, work, unload it again; give up on a source that keeps failing.

The benchmark runner and the LLM judge both work this way, so they share it:

* ``LoadedModel.open`` prepares (downloads if needed) and loads the model; closing unloads it
  unless it was already loaded before (someone else is using it). An unload that fails is kept in
  ``unload_error``, never raised: the answers already measured or judged stand, and an exception
  from the clean-up must not hide the one that ended the work.
* ``FailureStreak`` stops the work after ``MAX_CONSECUTIVE_FAILURES`` timeouts or unreachable
  errors in a row: an endpoint that is down or hangs should not cost every remaining request a
  full timeout. Any other outcome (an answer, a server error) breaks the streak.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType

from core.engines.base import Engine, EngineError, EngineTimeout, EngineUnreachable, LoadResult

MAX_CONSECUTIVE_FAILURES = 2


@dataclass
class LoadedModel:
    """A model loaded for one task; use it as a context manager (or call ``close``) to unload it."""

    engine: Engine
    model_id: str
    loaded: LoadResult
    unload_error: str | None = None

    @classmethod
    def open(cls, engine: Engine, model_id: str) -> LoadedModel:
        """Prepare and load ``model_id``; ``EngineError`` when it cannot be."""
        engine.prepare(model_id)
        return cls(engine, model_id, engine.load(model_id))

    def close(self) -> None:
        if self.loaded.already_loaded:
            return
        try:
            self.engine.unload(self.model_id)
        except EngineError as exc:
            self.unload_error = str(exc)

    def __enter__(self) -> LoadedModel:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


class FailureStreak:
    """Connection failures (timeouts, unreachable) in a row; ``record`` says when to stop."""

    def __init__(self, limit: int = MAX_CONSECUTIVE_FAILURES) -> None:
        self.limit = limit
        self.count = 0

    def record(self, error: BaseException | None) -> bool:
        """Count one request's outcome; True once ``limit`` connection failures came in a row."""
        self.count = self.count + 1 if isinstance(error, EngineTimeout | EngineUnreachable) else 0
        return self.count >= self.limit
