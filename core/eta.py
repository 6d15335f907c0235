"""How long a background job has left, from its pace after its first unit of work, or "estimating…".

Why not simply ``elapsed / done * remaining`` from the job's start: the start holds work that is never
repeated (a worker process starting, a model loading, the first cold request), so the first estimates
came out several times too long ("9 min 41 s" for a job that took 2 min 41 s) and then drifted down.
The pace here is measured from the moment the first unit finished (``Progress.since_done`` /
``since_at``, recorded by ``core.jobs.JobContext``) to the latest report (``Progress.at``); until
``MIN_UNITS`` more units are done there is no estimate, and the job says "estimating…".
"""

from __future__ import annotations

from datetime import UTC, datetime

from store.records import Progress

MIN_UNITS = 3  # units done after the first before the pace is trusted
ESTIMATING = "estimating…"


def stamp(moment: datetime | None = None) -> str:
    """An ISO UTC time to the millisecond (a pace over a few seconds needs more than whole seconds)."""
    return (moment or datetime.now(UTC)).isoformat(timespec="milliseconds")


def seconds_left(progress: Progress, now: datetime) -> float | None:
    """Seconds until ``total`` at the pace since the first unit, counted from ``now``; ``None`` while the
    pace rests on fewer than ``MIN_UNITS`` units (or the total is unknown)."""
    total, done = progress.total, progress.done
    if not total or progress.since_done is None or not progress.since_at or not progress.at:
        return None
    units = done - progress.since_done
    if units < MIN_UNITS:
        return None
    span = (_parse(progress.at) - _parse(progress.since_at)).total_seconds()
    if span <= 0:
        return None
    since_report = (now - _parse(progress.at)).total_seconds()
    return max(0.0, (total - done) * span / units - since_report)


def eta_text(progress: Progress, started_at: str, now: datetime | None = None) -> str:
    """``"about 2 min 41 s left"``, ``"estimating…"`` until the pace can be trusted, or, for a job of fewer
    units than that (a probe: one request), how long it has run: ``"running for 12 s"``."""
    now = now or datetime.now(UTC)
    total = progress.total
    if total is not None and 0 < total <= MIN_UNITS:
        return f"running for {duration(max(0.0, (now - _parse(started_at)).total_seconds()))}"
    if not total or progress.done >= total:
        return ""
    left = seconds_left(progress, now)
    return ESTIMATING if left is None else f"about {duration(left)} left"


def duration(seconds: float) -> str:
    """``"2 min 41 s"``, ``"41 s"``, ``"1 h 05 min"``."""
    whole = int(round(seconds))
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text)
