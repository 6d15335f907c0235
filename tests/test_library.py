"""Saved model metadata: an import upserts by reference and leaves other models alone."""

from __future__ import annotations

from core.config import ModelSpec
from core.models.specs import model_specs, save_model_specs
from store import Store
from store.records import Table


def _specs(count: int, *, license: str | None = None, start: int = 0) -> list[ModelSpec]:
    return [ModelSpec(alias=f"m{i}", source="s", model=f"model-{i}", license=license)
            for i in range(start, start + count)]


def test_saving_again_replaces_by_reference_and_keeps_the_rest(store: Store) -> None:
    save_model_specs(store, _specs(3))
    save_model_specs(store, _specs(2, license="MIT", start=2))
    saved = model_specs(store)
    assert sorted(saved) == ["s:model-0", "s:model-1", "s:model-2", "s:model-3"]
    assert saved["s:model-2"].license == "MIT" and saved["s:model-0"].license is None
    assert store.count(Table.MODELS) == 4

