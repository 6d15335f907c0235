"""Cells that say why a figure is missing: a run's load, memory, disk, energy and device figures.

A blank cell, or a 0 that means "unknown", reads as a measurement: an endpoint's memory bar was empty and its
device "unknown" with no word why, so the figure looked lost. Here every missing figure gets its reason:
a remote endpoint's process is not Pickwise's to measure, a model already loaded had no load to time, a
model that failed or has not run yet has nothing measured, a machine without an energy counter has none.
"""

from __future__ import annotations

from core.refs import is_remote
from store.records import ModelResult

REMOTE = "n/a: remote endpoint"
REMOTE_WHY = "not measurable for a remote endpoint (enter it on Decide if you know it)"  # Compare, Decide, record
REMOTE_NOTICE = ("n/a: remote endpoint: memory, disk and energy are not measurable for a remote endpoint (it runs "
                 "in its own process), and an endpoint reports no device; enter its memory and disk on Decide if you "
                 "know them.")
NOT_REPORTED = "not reported"  # the engine or endpoint does not say (a device, a provider, a size, a license)
ALREADY_LOADED = "already loaded before the run"
_NOT_YET = ("queued", "running")
_ENDED_EARLY = ("failed", "cancelled", "interrupted")


def resource_cells(ref: str, info: ModelResult) -> dict[str, str]:
    """The run table's device, load, memory, disk, energy and GPU cells of one model, as text: each figure
    measured, or the reason it was not."""
    remote = is_remote(ref)
    unmeasured = _unmeasured(info)

    def local(value: float | None, digits: int, *, loading: bool = False, otherwise: str = "not measured") -> str:
        if value is not None:
            return _number(value, digits)
        if remote:
            return REMOTE
        if unmeasured:
            return unmeasured
        return ALREADY_LOADED if loading and info.already_loaded else otherwise

    def gpu(value: float | None, digits: int) -> str:
        return _number(value, digits) if value is not None else unmeasured or "no GPU reading"

    load = _number(info.load_s, 2) if info.load_s is not None else (
        ALREADY_LOADED if info.already_loaded else unmeasured or "not measured")
    return {
        "device": info.device or unmeasured or NOT_REPORTED,
        "provider": info.execution_provider or unmeasured or NOT_REPORTED,
        "load (s)": load,
        "first request (s)": _number(info.first_request_s, 2) if info.first_request_s is not None
        else unmeasured or "not measured",
        # an endpoint's memory is its own process's: whatever Pickwise's process recorded is not the model's
        "memory added (MB)": REMOTE if remote else local(info.rss_load_mb, 0, loading=True),
        "peak added (MB)": REMOTE if remote else local(info.rss_peak_mb, 0),
        "disk (MB)": local(info.disk_mb, 1, otherwise="not known for this model"),
        "energy/token (J)": local(info.energy_j_per_token, 4, otherwise="no energy counter on this machine"),
        "GPU memory added (MB)": gpu(info.gpu_load_mb, 0),
        "GPU peak added (MB)": gpu(info.gpu_peak_mb, 0),
        "GPU utilisation mean (%)": gpu(info.gpu_util_mean_pct, 0),
        "GPU utilisation max (%)": gpu(info.gpu_util_max_pct, 0),
        "GPU energy (J)": gpu(info.gpu_energy_j, 1),
    }


def _unmeasured(info: ModelResult) -> str:
    """Why nothing was measured for the model at all ("" when it ran)."""
    if info.status in _NOT_YET:
        return "not measured yet"
    if info.load_s is None and not info.already_loaded and info.status in _ENDED_EARLY:
        return f"not measured (the model {info.status} before loading)"
    return ""


def _number(value: float, digits: int) -> str:
    return f"{value:,.{digits}f}"
