"""With and without a GPU: each setup's speed-up over the baseline setup, family by family, or why there is none.

A family (``core.compare.runs.family_of``) is one model whatever its variant or ref: Foundry Local's CPU and
CUDA variants of one alias, or the same model served by Ollama on two machines once the user tags both. A
setup is where a family was measured: the machine (``core.bundles.machine_label``), the device and the
execution provider. Runs of one family on one setup are pooled. The baseline is a CPU setup, this machine's
when several machines used a CPU (the question is "what does a GPU buy me here"); without a CPU setup it is
this machine's, else the first by name. Each other setup is paired with the baseline over the prompts both
measured (``core.compare.pairing``): a GPU run over longer prompts must not look slower for it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

import pandas as pd

from core.compare.groups import SPEED_METRICS, Group
from core.compare.pairing import advantage
from core.compare.runs import CPU, UNKNOWN_DEVICE
from core.refs import FOUNDRY_SOURCE, parse_ref

Setup = tuple[str, str, str]  # machine, device, execution provider
SPEEDUP_COLUMNS = ["family", "metric", "baseline_setup", "setup", "baseline_machine", "machine", "baseline_device",
                   "device", "baseline_provider", "provider", "baseline_model", "model", "n_baseline", "n",
                   "shared_prompts", "speedup", "ci95_low", "ci95_high", "beyond_noise", "tie", "note"]


def _pooled(groups: Iterable[Group]) -> dict[str, dict[Setup, list[Group]]]:
    """family -> setup -> groups (several runs, or several refs of one family, on one setup are pooled)."""
    pooled: dict[str, dict[Setup, list[Group]]] = defaultdict(lambda: defaultdict(list))
    for g in groups:
        pooled[g.family][(g.machine, g.device, g.provider)].append(g)
    return pooled


def _baseline(setups: dict[Setup, list[Group]]) -> Setup:
    """A CPU setup first, this machine's first, then by name (so the choice never depends on run order)."""
    return min(setups, key=lambda s: (s[1] != CPU, not any(g.here for g in setups[s]), s))


def _side(prefix: str, groups: list[Group], metric: str) -> dict[str, object]:
    """One side's columns: its setup's name and parts, its first model (its colour) and its request count."""
    first = groups[0]
    return {f"{prefix}setup": first.setup, f"{prefix}machine": first.machine, f"{prefix}device": first.device,
            f"{prefix}provider": first.provider, f"{prefix}model": first.model_ref,
            f"n{'_baseline' if prefix else ''}": sum(len(g.values(metric)) for g in groups)}


def device_speedup_frame(groups: Iterable[Group], metrics: Iterable[str] = SPEED_METRICS) -> pd.DataFrame:
    """For each family measured on two or more setups: each setup's speed-up over the baseline setup.

    Columns: family, metric; for the baseline (``baseline_`` prefix) and the other setup: setup (its name,
    "gpu-box, CUDA"), machine, device, provider, model (the first ref measured there: its colour) and n
    (``n_baseline``: requests on each side); then shared_prompts (what the paired speed-up rests on), speedup
    (> 1 = faster on ``setup``), ci95_low, ci95_high, beyond_noise, tie (within noise or negligible) and note
    (why there is no speed-up). Empty when no family has a second setup (see ``device_gap_message``).
    """
    rows = []
    for family, setups in sorted(_pooled(groups).items()):
        if len(setups) < 2:
            continue
        base = _baseline(setups)
        for setup, setup_groups in sorted(setups.items()):
            if setup == base:
                continue
            for metric in metrics:
                rows.append({
                    "family": family, "metric": metric,
                    **_side("baseline_", setups[base], metric), **_side("", setup_groups, metric),
                    **advantage(setups[base], setup_groups, metric).columns("speedup"),
                })
    return pd.DataFrame(rows, columns=SPEEDUP_COLUMNS)


def device_gap_message(groups: list[Group]) -> str | None:
    """Why there is nothing to compare across setups, in words a product owner can act on; else ``None``."""
    if any(len(setups) >= 2 for setups in _pooled(groups).values()):
        return None
    setups = sorted({g.setup: g.device for g in groups}.items())
    if not setups:
        return "Select runs and models to compare devices."
    if len(setups) == 1:
        only, device = setups[0]
        if device == UNKNOWN_DEVICE and only == groups[0].machine:
            return ("The selected runs did not record a device; run the model again with a current "
                    "Pickwise, on a CPU and on a GPU machine, to compare.")
        other = "a GPU" if device == CPU else "a CPU (or another GPU)"
        return (f"All selected runs ran on {only}; run the same model on {other} to compare (a run from another "
                "machine comes in as a bundle: Runs from another machine, above).")
    return (f"The selected runs used {'; '.join(name for name, _ in setups)}, but no model family ran on more "
            "than one of them. Run the same model on each; or, when two models are the same model served "
            "differently, give both one family tag (below) and they pair.")


FAMILY_COLUMNS = ["model", "family", "from", "tag", "editable"]


def family_table(groups: Iterable[Group], tags: Mapping[str, str]) -> pd.DataFrame:
    """One row per selected model and the family it pairs under: model, family, from (where the family comes
    from: the run, the user's tag, or the model id), tag (the user's tag, or ``None``) and editable (a tag
    decides the family: an endpoint model whose runs recorded none; a Foundry Local model has its alias)."""
    rows: dict[tuple[str, str], dict[str, object]] = {}
    for g in groups:
        recorded = bool(g.info.family)
        origin = "the run" if recorded else "your tag" if tags.get(g.model_ref) else "its model id"
        rows.setdefault((g.model_ref, g.family), {
            "model": g.model_ref, "family": g.family, "from": origin, "tag": tags.get(g.model_ref),
            "editable": not recorded and parse_ref(g.model_ref).source != FOUNDRY_SOURCE,
        })
    return pd.DataFrame(list(rows.values()), columns=FAMILY_COLUMNS)
