"""What gets graded: counted, distinct answers of a run under stable, blind ids.

``make_run`` is shared with the other grading tests: it writes a run and its samples the way the
benchmark runner stores them (see ``core.benchmark.runner``), which is the contract grading reads.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from core.grading.items import grading_items, item_id_for
from store import Store, queries
from store.records import Run, Sample

PROMPTS = [
    {"id": "capital", "prompt": "What is the capital of France?", "reference": "Paris."},
    {"id": "haiku", "prompt": "Write a haiku about rain."},
]


def make_run(store: Store, answers: list[tuple[str, str, str]], *, prompts: list[dict[str, Any]] | None = None,
             extra_samples: list[dict[str, Any]] | None = None) -> str:
    """A completed run whose counted samples are ``(model_ref, prompt_id, text)``; returns its id.

    Written through the store's contract (``store.records``), as the runner writes it."""
    run_id = uuid.uuid4().hex[:12]
    prompts = PROMPTS if prompts is None else prompts
    queries.insert(store, Run.build({
        "run_id": run_id, "kind": "benchmark", "status": "completed", "created_at": "2026-03-01T10:00:00+00:00",
        "settings": {}, "environment": {}, "prompt_set": {"name": "test", "prompts": prompts},
        "models": {ref: {"status": "completed"} for ref, _, _ in answers}}))
    base = {"run_id": run_id, "round": 0, "warmup": False, "error": None, "concurrency": 1,
            "created_at": "2026-03-01T10:00:01+00:00"}
    samples = [{**base, "model_ref": ref, "prompt_id": pid, "text": text} for ref, pid, text in answers]
    queries.insert_many(store, [Sample.build(s) for s in samples + [{**base, **s} for s in extra_samples or []]])
    return run_id


def test_items_skip_warmup_errors_and_identical_repeats(store: Store) -> None:
    run_id = make_run(
        store,
        [("a:m", "capital", "Paris."), ("a:m", "capital", "Paris."), ("a:m", "capital", "It is Paris."),
         ("b:m", "capital", "Paris."), ("b:m", "haiku", "Rain taps the roof")],
        extra_samples=[
            {"model_ref": "a:m", "prompt_id": "haiku", "text": "warm", "warmup": True, "error": None},
            {"model_ref": "a:m", "prompt_id": "haiku", "text": "", "warmup": False, "error": "timed out"},
        ],
    )
    items = grading_items(store, run_id)
    assert [(i.model_ref, i.prompt_id, i.response) for i in items] == [
        ("a:m", "capital", "Paris."), ("a:m", "capital", "It is Paris."), ("b:m", "capital", "Paris."),
        ("b:m", "haiku", "Rain taps the roof"),
    ]
    first = items[0]
    assert first.prompt == "What is the capital of France?" and first.reference == "Paris."
    assert items[3].reference is None
    # same text from another model is another item; ids are stable and carry no model name
    assert items[0].item_id != items[2].item_id
    assert first.item_id == item_id_for(run_id, "a:m", "capital", "Paris.")
    assert all("a:m" not in i.item_id and "b:m" not in i.item_id for i in items)


def test_unknown_run_is_reported(store: Store) -> None:
    with pytest.raises(ValueError, match="No run"):
        grading_items(store, "nope")
