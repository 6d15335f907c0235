"""The user's saved inputs: imported prompt sets and model metadata (license, capabilities, size).

Built-in prompt sets come from ``core.prompt_sets`` and cannot be overwritten; imported ones live in
the store's ``prompt_sets`` table. Model metadata from ``models.json`` lands in the ``models`` table,
keyed by ``SOURCE:MODEL_ID``, where the decision step will read licenses and sizes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.config import ModelSpec, PromptItem
from core.jobs import utc_now
from core.prompt_sets import builtin_prompt_sets
from core.refs import parse_ref
from store import Store, queries
from store.records import ModelInfo, PromptSet, Table


def prompt_set_choices(store: Store) -> dict[str, list[dict]]:
    """Built-in sets first, then imported ones, as plain dicts ready for a run's settings."""
    choices = {name: [item.model_dump(exclude_none=True) for item in items]
               for name, items in builtin_prompt_sets().items()}
    for saved in sorted(queries.find(store, PromptSet), key=lambda s: s.name):
        choices.setdefault(saved.name, [p.as_dict() for p in saved.prompts])
    return choices


def save_prompt_set(store: Store, name: str, items: list[PromptItem]) -> None:
    """Store (or replace) an imported set. Raises ``ValueError`` for an empty or built-in name."""
    name = name.strip()
    if not name:
        raise ValueError("Give the prompt set a name.")
    if name in builtin_prompt_sets():
        raise ValueError(f"{name!r} is a built-in prompt set; import yours under another name.")
    prompts = [item.model_dump(exclude_none=True) for item in items]
    with store.transaction():
        store.remove_where(Table.PROMPT_SETS, name=name)
        queries.insert(store, PromptSet.build({"name": name, "prompts": prompts, "builtin": False,
                                               "created_at": utc_now()}))


def save_model_specs(store: Store, specs: list[ModelSpec]) -> None:
    """Upsert each model's metadata by reference.

    One pass over the stored models and one insert, so an import costs specs + stored models, not
    specs × stored models (a scan per spec took 0.2 s for 2,000 specs and grew quadratically)."""
    refs = {spec.ref for spec in specs}
    with store.transaction():
        for old in queries.find(store, ModelInfo):
            if old.ref in refs:
                store.remove(Table.MODELS, old.stored_id)
        queries.insert_many(store, [ModelInfo(ref=spec.ref, alias=spec.alias, license=spec.license,
                                              capabilities=list(spec.capabilities), size_mb=spec.size_mb,
                                              notes=spec.notes) for spec in specs])


def model_specs(store: Store) -> dict[str, ModelInfo]:
    """Stored model metadata by reference."""
    return {m.ref: m for m in queries.find(store, ModelInfo)}


def model_spec(ref: str, stored: Mapping[str, ModelInfo], **changes: Any) -> ModelSpec:
    """``ref``'s stored metadata (``model_specs``) as a ``ModelSpec``, with ``changes`` applied: what an
    export of models.json writes and what an edit of license or size saves (the alias defaults to the id)."""
    parsed = parse_ref(ref)
    old = stored.get(ref) or ModelInfo(ref=ref)
    fields = {"alias": old.alias or parsed.model_id, "source": parsed.source, "model": parsed.model_id,
              "capabilities": old.capabilities, "size_mb": old.size_mb, "license": old.license, "notes": old.notes}
    return ModelSpec(**{**fields, **changes})
