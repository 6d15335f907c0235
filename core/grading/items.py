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
from dataclasses import dataclass

from store import Store, queries
from store.records import ControlKind, Run, Table


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
    control: ControlKind | None = None  # a control answer testing the judge (``core.grading.controls``)

    @property
    def response_chars(self) -> int:
        return len(self.response)


def item_id_for(run_id: str, model_ref: str, prompt_id: str, text: str) -> str:
    digest = hashlib.sha256("\x1f".join((run_id, model_ref, prompt_id, text)).encode()).hexdigest()
    return f"i-{digest[:12]}"


def grading_items(store: Store, run_id: str) -> list[GradingItem]:
    """The run's distinct answers in sample order; ``ValueError`` if the run is unknown."""
    run = queries.get_run(store, run_id)
    if run is None:
        raise ValueError(f"No run {run_id!r} in the store.")
    prompts = {p.id: p for p in run.prompt_set.prompts}
    items: dict[str, GradingItem] = {}
    for sample in queries.counted_samples(queries.run_samples(store, run_id)):
        prompt = prompts.get(sample["prompt_id"])
        text = sample.get("text") or ""
        item_id = item_id_for(run_id, sample["model_ref"], sample["prompt_id"], text)
        if item_id not in items:
            items[item_id] = GradingItem(
                item_id=item_id,
                run_id=run_id,
                sample_id=sample["_id"],
                model_ref=sample["model_ref"],
                prompt_id=sample["prompt_id"],
                prompt=prompt.prompt if prompt else "",
                reference=prompt.reference if prompt else None,
                response=text,
            )
    return list(items.values())


def gradable_runs(store: Store) -> list[Run]:
    """Benchmark runs that stored at least one sample, newest first: the only ones worth grading.

    Which runs have samples comes from the store's per-run index, so no sample file is read."""
    with_samples = {run_id for run_id, n in store.count_by_run(Table.SAMPLES).items() if n}
    return [r for r in queries.benchmark_runs(store) if r.run_id in with_samples]
