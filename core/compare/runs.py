"""Which runs to compare: their devices, dates and prompt sets, the user's filter, and how a run is named.

A model entry's device is spelt one way here (``device_of``), because the engines report ``cpu`` or
``GPU`` and every comparison across devices groups by it. A model's family (``family_of``) is what pairs its
variants across devices and machines: Foundry Local's CPU and CUDA variants have different ids, and the same
model served by Ollama on two machines may have two refs. A setup (``setup_name``) is where a run measured a
model: the machine, the device and the execution provider, named the way people say it ("gpu-box, CUDA").
A prompt is known by its id and a hash of its text (``prompt_keys``): two runs ask the same question only
when both match, since a saved prompt set can be edited between runs and keep its ids.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from core.refs import parse_ref
from store.records import ModelResult, Run

UNKNOWN_DEVICE = "unknown"
NO_DEVICE = "device not reported"  # how an unknown device reads: an endpoint does not say what its server runs on
CPU = "CPU"

PromptKey = tuple[str, str]  # (prompt id, hash of its text): the same question in two runs

def device_of(info: ModelResult) -> str:
    """A model entry's device in one spelling (engines report ``cpu`` or ``GPU``)."""
    return (info.device or "").upper() or UNKNOWN_DEVICE


def family_of(ref: str, info: ModelResult, tags: Mapping[str, str]) -> str:
    """The family a run's model belongs to: the one the run recorded (Foundry Local's alias, or the user's tag
    when it ran), else the user's family tag for its ref now, else its model id (a model is its own family)."""
    return info.family or tags.get(ref) or parse_ref(ref).model_id


def setup_name(device: str, provider: str) -> str:
    """Device and execution provider in one short name: ``CPU``; ``CUDA`` for a GPU through CUDA (the
    provider says the device); ``GPU (CPU)`` for a GPU variant that ran on the CPU provider; for an endpoint
    (no device) its provider, if any, else nothing."""
    short = provider.removesuffix("ExecutionProvider")
    if device == UNKNOWN_DEVICE:
        return short
    if not short or short.upper() == device:
        return device
    return short if device != CPU and short.upper() != CPU else f"{device} ({short})"


def prompt_keys(run: Run) -> dict[str, PromptKey]:
    """prompt id -> its key (id, hash of the text), from the prompt set as the run used it."""
    return {p.id: (p.id, hashlib.sha256(p.prompt.encode("utf-8")).hexdigest()[:16]) for p in run.prompt_set.prompts}


def run_devices(run: Run) -> set[str]:
    return {device_of(info) for info in run.models.values()}


def run_date(run: Run) -> date:
    return datetime.fromisoformat(run.created_at).date()


def prompt_set_name(run: Run) -> str:
    return run.prompt_set.name


@dataclass(frozen=True)
class RunFilter:
    """What the user narrowed the run list to; an empty set means "any"."""

    prompt_sets: frozenset[str] = frozenset()
    devices: frozenset[str] = frozenset()
    start: date | None = None
    end: date | None = None

    def matches(self, run: Run) -> bool:
        day = run_date(run)
        return (
            (not self.prompt_sets or prompt_set_name(run) in self.prompt_sets)
            and (not self.devices or bool(run_devices(run) & self.devices))
            and (self.start is None or day >= self.start)
            and (self.end is None or day <= self.end)
        )


def model_refs(runs: Iterable[Run]) -> list[str]:
    """Every model of the runs, in order of first appearance (so colours do not shuffle)."""
    seen: dict[str, None] = {}
    for run in runs:
        seen.update(dict.fromkeys(run.models))
    return list(seen)


def device_text(device: str) -> str:
    """A device as pages and charts say it: an endpoint's unknown device reads as not reported."""
    return NO_DEVICE if device == UNKNOWN_DEVICE else device


def run_label(run: Run) -> str:
    """How a run is named in pickers: id, date, prompt set, devices."""
    devices = ", ".join(sorted(map(device_text, run_devices(run))))
    return f"{run.run_id} · {run.created_at[:16]} · {prompt_set_name(run)} · {devices}"
