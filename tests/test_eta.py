"""The ETA every long job shows: "estimating…" until a few units are done, then steady and near the truth.

The job here has a known shape: a slow start (a model loading), then units at a steady pace. The old
estimate (elapsed since the start / done × remaining) counted the start in the pace and came out several
times too long at first ("9 min 41 s" for 2 min 41 s); the estimate is checked against the time the job
really took from each reading to its end, read from the store as a page would.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from core.eta import ESTIMATING, MIN_UNITS, duration, eta_text, seconds_left
from core.jobs import JobContext, get_job, record_job, run_job
from store import Store
from store.records import JobKinds, Progress

START_S, UNIT_S, UNITS = 1.2, 0.3, 10  # slow enough that a busy machine's jitter is small beside a unit


def test_a_job_with_a_known_pace_says_estimating_then_a_steady_true_eta(store: Store) -> None:
    job = record_job(store, JobKinds.JUDGE, {}, label="known pace")
    ctx = JobContext.of(store, job)
    ctx.write_every_s = 0.0  # every report reaches the store, so each reading below is the page's view
    readings: list[tuple[int, str, float | None, float]] = []

    def work(ctx: JobContext) -> str:
        ctx.progress(0, UNITS, "loading", force=True)
        time.sleep(START_S)
        for unit in range(1, UNITS + 1):
            time.sleep(UNIT_S)
            ctx.progress(unit, UNITS, f"{unit} of {UNITS}")
            stored = get_job(store, ctx.job_id)
            now = datetime.now(UTC)
            readings.append((unit, eta_text(stored.progress, stored.created_at, now),
                             seconds_left(stored.progress, now), time.monotonic()))
        return "done"

    assert run_job(ctx, work) == "completed"
    end = readings[-1][3]
    for unit, text, left, read_at in readings[:-1]:
        truth = end - read_at
        if unit - 1 < MIN_UNITS:
            assert text == ESTIMATING, (unit, text)
            continue
        assert text.startswith("about ") and left is not None
        # the old estimate (the start counted in the pace) read 1.4 to 2 times the truth at these readings
        assert abs(left - truth) <= 0.5 * truth + 0.3, (unit, left, truth)
    # steady: every estimate points at (nearly) the same end
    ends = [read_at + left for unit, _, left, read_at in readings[:-1] if left is not None]
    assert max(ends) - min(ends) <= 1.0


def test_before_the_first_unit_and_without_a_total_there_is_no_figure() -> None:
    started = "2026-01-01T00:00:00+00:00"
    assert eta_text(Progress(done=0, total=100), started) == ESTIMATING
    assert eta_text(Progress(done=5, total=None), started) == ""


def test_a_one_request_job_says_how_long_it_has_run() -> None:
    started = datetime(2026, 1, 1, tzinfo=UTC)
    assert eta_text(Progress(done=0, total=1), started.isoformat(), started + timedelta(seconds=12)) \
        == "running for 12 s"


def test_the_estimate_counts_down_between_reports() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    progress = Progress(done=11, total=21, at=at.isoformat(), since_done=1,
                        since_at=(at - timedelta(seconds=20)).isoformat())
    assert seconds_left(progress, at) == 20.0  # 10 units left at 2 s each
    assert seconds_left(progress, at + timedelta(seconds=5)) == 15.0
    assert eta_text(progress, progress.since_at, at) == "about 20 s left"


def test_durations_read_as_people_say_them() -> None:
    assert [duration(s) for s in (41, 161, 3900)] == ["41 s", "2 min 41 s", "1 h 05 min"]
