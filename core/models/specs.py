"""Model metadata the user brings in ``models.json`` (license, capabilities, size), kept in the ``models`` table.

Keyed by ``SOURCE:MODEL_ID``: the Benchmark page imports and exports it, the Decide step reads licenses
and sizes from it (``core.decide.candidates``), and an edit of one field on the Decide page saves it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.config import ModelSpec
from core.refs import parse_ref
from store import Store, queries
from store.records import ModelInfo, Table


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
                                              family=spec.family, notes=spec.notes) for spec in specs])


def model_specs(store: Store) -> dict[str, ModelInfo]:
    """Stored model metadata by reference."""
    return {m.ref: m for m in queries.find(store, ModelInfo)}


def model_spec(ref: str, stored: Mapping[str, ModelInfo], **changes: Any) -> ModelSpec:
    """``ref``'s stored metadata (``model_specs``) as a ``ModelSpec``, with ``changes`` applied: what an
    export of models.json writes and what an edit of license or size saves (the alias defaults to the id)."""
    parsed = parse_ref(ref)
    old = stored.get(ref) or ModelInfo(ref=ref)
    fields = {"alias": old.alias or parsed.model_id, "source": parsed.source, "model": parsed.model_id,
              "capabilities": old.capabilities, "size_mb": old.size_mb, "license": old.license,
              "family": old.family, "notes": old.notes}
    return ModelSpec(**{**fields, **changes})


def set_family(store: Store, ref: str, family: str | None) -> None:
    """Tag ``ref`` as a member of ``family`` (``None`` or blank clears the tag), keeping its other metadata:
    how a user says that two endpoints serve the same model, so Compare pairs them across devices."""
    save_model_specs(store, [model_spec(ref, model_specs(store), family=(family or "").strip() or None)])


def family_tags(store: Store) -> dict[str, str]:
    """``SOURCE:MODEL_ID`` -> the user's family tag, for the models that have one."""
    return {ref: info.family for ref, info in model_specs(store).items() if info.family}
