"""Why a figure is missing: every empty cell on the Decide page and in a decision record says why, never a
silent blank, nor a 0 that means "unknown".

The reason depends on what the model is: a remote endpoint (any source but Foundry Local in-process) runs in
a process Pickwise cannot see, so its memory and disk are not measurable, and only the product owner can
enter them; a local model's missing figure was not measured by the run. Ranking (``evidence_text``), the
record's exports and the Decide widgets all read the reason from here, so they say the same thing.
"""

from __future__ import annotations

from core.benchmark.empty_cells import REMOTE_WHY as REMOTE
from core.refs import is_remote

_LOCAL = {
    "memory": "not measured by the run (enter it on Decide if you know it)",
    "footprint": "not measured by the run (type its size under Model details)",
}
_ANY = {
    "license": "not known (type it under Model details)",
    "quality": "not graded by the chosen quality source (grade its answers on the Grade page)",
    "throughput": "no token rate measured (no tokens counted, or every rate flagged bunched)",
    "latency": "not measured (no counted request)",
}
_DEVICE_REMOTE = "not reported by a remote endpoint"


def why_missing(ref: str, key: str) -> str:
    """Why criterion ``key`` (``core.decide.settings.CRITERIA``) has no figure for model ``ref``."""
    if key in _LOCAL:
        return REMOTE if is_remote(ref) else _LOCAL[key]
    return _ANY.get(key, "not measured")


def device_text(ref: str, device: str | None) -> str:
    """The device a model ran on, or why it is not known."""
    if device and device.strip().lower() != "unknown":
        return device
    return f"unknown ({_DEVICE_REMOTE})" if is_remote(ref) else "unknown (not reported by the engine)"
