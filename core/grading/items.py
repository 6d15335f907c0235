"""What gets graded: the distinct answers of a run, each under a stable opaque id.

Both graders (LLM judge and people) work on the same items, so their scores can be compared item
by item. An item is a counted sample (not warm-up, no error) with its response text; repeats of
the *same* text for the same model and prompt (rounds at temperature 0, concurrency levels) are
one item, because grading an identical answer twice adds cost and no information.

The item id is a hash of run, model, prompt and text: the same answer keeps the same id across
sessions and CSV round trips, and the id shows nothing about which model wrote it (blind grading).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from store import Store

RUNS = "runs"
SAMPLES = "samples"


@dataclass(frozen=True)
class GradingItem:
    """One answer to grade. ``model_ref`` and ``sample_id`` must never be shown to a blind grader."""

    item_id: str
    run_id: str
    sample_id: int
    model_ref: str
    prompt_id: str
    prompt: str
    reference: str | None
    response: str

    @property
    def response_chars(self) -> int:
        return len(self.response)


def item_id_for(run_id: str, model_ref: str, prompt_id: str, text: str) -> str:
    digest = hashlib.sha256("\x1f".join((run_id, model_ref, prompt_id, text)).encode()).hexdigest()
    return f"i-{digest[:12]}"


def grading_items(store: Store, run_id: str) -> list[GradingItem]:
    """The run's distinct answers in sample order; ``ValueError`` if the run is unknown."""
    runs = store.find(RUNS, run_id=run_id)
    if not runs:
        raise ValueError(f"No run {run_id!r} in the store.")
    prompts = {p["id"]: p for p in runs[0].get("prompt_set", {}).get("prompts", [])}
    items: dict[str, GradingItem] = {}
    for sample in store.find(SAMPLES, run_id=run_id):
        if sample.get("warmup") or sample.get("error"):
            continue
        prompt = prompts.get(sample["prompt_id"], {})
        text = sample.get("text") or ""
        item_id = item_id_for(run_id, sample["model_ref"], sample["prompt_id"], text)
        if item_id not in items:
            items[item_id] = GradingItem(
                item_id=item_id,
                run_id=run_id,
                sample_id=sample["_id"],
                model_ref=sample["model_ref"],
                prompt_id=sample["prompt_id"],
                prompt=prompt.get("prompt", ""),
                reference=prompt.get("reference"),
                response=text,
            )
    return list(items.values())


def runs_with_samples(runs: Iterable[dict], samples: Iterable[dict]) -> list[dict]:
    """Benchmark runs that stored at least one sample, newest first: the only ones worth grading."""
    with_samples = {s["run_id"] for s in samples}
    kept = [r for r in runs if r.get("kind") == "benchmark" and r["run_id"] in with_samples]
    return sorted(kept, key=lambda r: r.get("created_at") or "", reverse=True)


def gradable_runs(store: Store) -> list[dict]:
    """The runs the Grade page offers: ``runs_with_samples`` over the store."""
    return runs_with_samples(store.all(RUNS), store.all(SAMPLES))
