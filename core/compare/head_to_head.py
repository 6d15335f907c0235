"""Model against model in the same run on the same device: how many times better one is, paired by prompt.

Both answered the same prompts under the same conditions, so each prompt pairs with itself
(``core.compare.pairing``). Each pair is written from the better side (a ratio of at least 1), the way a
sentence says it: "A is 1.9x faster end to end than B".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from itertools import combinations
from typing import Any

import pandas as pd

from core.compare.groups import SPEED_METRICS, Group, build_groups
from core.compare.pairing import Pairing, advantage
from core.compare.runs import device_text
from core.compare.statements import head_to_head_statements
from store import Store
from store.queries import get_runs, run_samples

HEAD_TO_HEAD_COLUMNS = ["run", "device", "model", "rival", "metric", "n", "n_rival", "shared_prompts", "advantage",
                        "ci95_low", "ci95_high", "beyond_noise", "tie", "note"]


def _better_first(a: Group, b: Group, metric: str) -> tuple[Group, Group, Pairing]:
    paired = advantage([b], [a], metric)
    if paired.ratio is not None and paired.ratio.value < 1:
        return b, a, Pairing(paired.ratio.inverted(), paired.shared_prompts)
    return a, b, paired


def head_to_head_frame(groups: Iterable[Group], metrics: Iterable[str] = SPEED_METRICS) -> pd.DataFrame:
    """Every two models of one run and device, metric by metric: ``advantage`` (>= 1) of ``model`` over ``rival``.

    Columns: run, device, model, rival, metric, n and n_rival (measured requests), shared_prompts,
    advantage, ci95_low, ci95_high, beyond_noise, tie (within noise or negligible), note (why no ratio).
    """
    by_run: dict[tuple[str, str], list[Group]] = defaultdict(list)
    for g in groups:
        by_run[(g.run_id, g.device)].append(g)
    rows = [row for members in by_run.values() for first, second in combinations(members, 2)
            for row in _pair_rows(first, second, metrics)]
    return pd.DataFrame(rows, columns=HEAD_TO_HEAD_COLUMNS)


def _pair_rows(first: Group, second: Group, metrics: Iterable[str]) -> list[dict[str, Any]]:
    run = first.run_id if first.run_id == second.run_id else f"{first.run_id} and {second.run_id}"
    device = first.device if first.device == second.device else \
        f"{device_text(first.device)} and {device_text(second.device)}"
    rows = []
    for metric in metrics:
        model, rival, paired = _better_first(first, second, metric)
        rows.append({"run": run, "device": device, "model": model.model_ref, "rival": rival.model_ref,
                     "metric": metric, "n": len(model.values(metric)), "n_rival": len(rival.values(metric)),
                     **paired.columns("advantage")})
    return rows


def statements_between(store: Store, first: tuple[str, str], second: tuple[str, str]) -> list[str]:
    """Two models, each ``(ref, run_id)`` as Decide took its figures, compared in words over the prompts both
    runs share: what Decide's top two differ by, with intervals (the Decide page and ``cli.py decide``)."""
    runs = get_runs(store, sorted({first[1], second[1]}))
    groups = build_groups(runs, {r.run_id: run_samples(store, r.run_id) for r in runs}, {first[0], second[0]})
    a = next((g for g in groups if (g.model_ref, g.run_id) == first), None)
    b = next((g for g in groups if (g.model_ref, g.run_id) == second), None)
    if a is None or b is None:
        return []
    return head_to_head_statements(pd.DataFrame(_pair_rows(a, b, SPEED_METRICS), columns=HEAD_TO_HEAD_COLUMNS))
