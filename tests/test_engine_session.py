"""One model for one task (``core.engines.session``): unloaded after, never unloaded when it was
already loaded, an unload failure kept rather than raised, and a streak of connection failures stops."""

from __future__ import annotations

from core.engines.base import EngineError, EngineTimeout, EngineUnreachable, LoadResult
from core.engines.session import FailureStreak, LoadedModel


class _Engine:
    """A fixture engine with a known ground truth: what was loaded and unloaded, and whether unload fails."""

    source = "test"

    def __init__(self, *, already_loaded: bool = False, unload_fails: bool = False) -> None:
        self.already_loaded, self.unload_fails = already_loaded, unload_fails
        self.calls: list[str] = []

    def prepare(self, model_id: str) -> None:
        self.calls.append(f"prepare {model_id}")

    def load(self, model_id: str) -> LoadResult:
        self.calls.append(f"load {model_id}")
        return LoadResult(0.5, "CPU", "CPUExecutionProvider", already_loaded=self.already_loaded)

    def unload(self, model_id: str) -> None:
        self.calls.append(f"unload {model_id}")
        if self.unload_fails:
            raise EngineError("the service went away")


def test_loaded_for_the_task_and_unloaded_after() -> None:
    engine = _Engine()
    with LoadedModel.open(engine, "m") as session:  # type: ignore[arg-type]
        assert session.loaded.device == "CPU"
    assert engine.calls == ["prepare m", "load m", "unload m"] and session.unload_error is None


def test_a_model_someone_else_loaded_stays_loaded() -> None:
    engine = _Engine(already_loaded=True)
    with LoadedModel.open(engine, "m"):  # type: ignore[arg-type]
        pass
    assert "unload m" not in engine.calls


def test_an_unload_failure_is_kept_not_raised() -> None:
    engine = _Engine(unload_fails=True)
    with LoadedModel.open(engine, "m") as session:  # type: ignore[arg-type]
        pass
    assert session.unload_error == "the service went away"


def test_only_connection_failures_in_a_row_stop_the_work() -> None:
    streak = FailureStreak(limit=2)
    assert not streak.record(EngineTimeout("slow"))
    assert not streak.record(None)  # an answer breaks the streak
    assert not streak.record(EngineUnreachable("down"))
    assert not streak.record(EngineError("500 from the server"))  # a server error is no connection failure
    assert not streak.record(EngineTimeout("slow"))
    assert streak.record(EngineUnreachable("down")) and streak.count == 2
