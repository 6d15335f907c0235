"""Model families and their variants: one model published for several devices, each variant its own id.

Foundry Local lists one model (its *alias*, e.g. ``qwen2.5-0.5b``) as several variants, each with its own
id, device and execution provider (``qwen2.5-0.5b-instruct-generic-cpu:4``, a CUDA one, ...). To measure
"with and without GPU" in one run, the Benchmark step expands a family on the chosen devices into variant
refs (``expand_family``). The family is ``ModelEntry.family`` as a source lists it.

"Every variant this machine can run" is what Foundry Local's catalog lists for this machine: the catalog is
already filtered by the execution providers this machine has, so a variant that is not listed cannot run
here, and one that is listed but not downloaded yet is downloaded at the start of its measurement.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from core.engines.base import ModelEntry

ALL_DEVICES = "all"
UNKNOWN_DEVICE = "unknown"
_DEVICE_ORDER = ("CPU", "GPU", "NPU")


class VariantError(ValueError):
    """A family or device the listings do not have; the message is one sentence that says what there is."""


@dataclass(frozen=True)
class Variant:
    """One variant of a family: its ref, the device and execution provider it runs on, and whether it is
    on this machine already (``cached``: no download before measuring it)."""

    ref: str
    device: str
    execution_provider: str | None
    cached: bool


@dataclass(frozen=True)
class Family:
    """A family's variants, ordered by device (CPU, GPU, NPU, others), then execution provider."""

    name: str
    variants: tuple[Variant, ...]

    @property
    def devices(self) -> list[str]:
        return list(dict.fromkeys(v.device for v in self.variants))

    def refs_on(self, devices: Sequence[str] = (ALL_DEVICES,)) -> list[str]:
        """The refs of the variants on ``devices`` (case-insensitive; ``all``: every device it has);
        ``VariantError`` names a device it has no variant for."""
        wanted = {d.strip().upper() for d in devices} or {ALL_DEVICES.upper()}
        if ALL_DEVICES.upper() in wanted:
            return [v.ref for v in self.variants]
        have = {d.upper() for d in self.devices}
        missing = sorted(wanted - have, key=_device_rank)
        if missing:
            raise VariantError(f"{self.name} has no {' or '.join(missing)} variant this machine can run; it has "
                               f"{' and '.join(self.devices)}.")
        return [v.ref for v in self.variants if v.device.upper() in wanted]


def model_families(entries: Iterable[ModelEntry]) -> dict[str, Family]:
    """Family name -> its variants, from a source's listings (entries without a family are left out).

    Of several versions of one variant (same id before the version colon) only the newest is kept:
    Foundry Local's catalog can list an older version beside the current one."""
    newest: dict[tuple[str, str], ModelEntry] = {}
    for entry in entries:
        if not entry.family:
            continue
        key = (entry.family, f"{entry.source}:{_unversioned(entry.model_id)}")
        if key not in newest or _version(entry.model_id) > _version(newest[key].model_id):
            newest[key] = entry
    grouped: dict[str, list[Variant]] = {}
    for (family, _), entry in newest.items():
        grouped.setdefault(family, []).append(Variant(entry.ref, entry.device or UNKNOWN_DEVICE,
                                                      entry.execution_provider, entry.state != "available"))
    return {name: Family(name, tuple(sorted(variants, key=lambda v: (_device_rank(v.device),
                                                                     v.execution_provider or "", v.ref))))
            for name, variants in sorted(grouped.items())}


def expand_family(families: Mapping[str, Family], name: str, devices: Sequence[str] = (ALL_DEVICES,)) -> list[str]:
    """The refs of family ``name``'s variants on ``devices`` (``model_families``); ``VariantError`` for an
    unknown family or a device it has no variant for on this machine."""
    family = families.get(name.strip())
    if family is None:
        known = ", ".join(families) or "none (is Foundry Local's catalog reachable?)"
        raise VariantError(f"No model family {name.strip()!r} is listed on this machine; known families: {known}.")
    return family.refs_on(devices)


def _device_rank(device: str) -> tuple[int, str]:
    upper = device.upper()
    return (_DEVICE_ORDER.index(upper) if upper in _DEVICE_ORDER else len(_DEVICE_ORDER), upper)


def _unversioned(model_id: str) -> str:
    return model_id.rpartition(":")[0] or model_id


def _version(model_id: str) -> int:
    tail = model_id.rpartition(":")[2]
    return int(tail) if tail.isdigit() else 0
