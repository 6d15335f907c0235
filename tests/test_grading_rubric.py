"""Rubrics: validation, versioning (a change is a new version, old ones never change) and presets."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core.grading.presets import PRESETS, install_presets
from core.grading.rubric import Criterion, Rubric, get_rubric, list_rubrics, rubric_versions, save_rubric
from store import Store
from store.records import Table

LEVELS = ("awful", "poor", "fair", "good", "excellent")


def _rubric(question: str = "Is it clear?") -> Rubric:
    return Rubric(name="clarity", criteria=(Criterion("clarity", "Clarity", question, LEVELS),))


def test_saving_a_changed_rubric_adds_a_version_and_keeps_the_old_one(store: Store) -> None:
    first = save_rubric(store, _rubric())
    assert first.version == 1 and first.label == "clarity v1"
    assert save_rubric(store, _rubric()) == first  # unchanged: no new version, no write
    assert store.count(Table.RUBRICS) == 1

    second = save_rubric(store, _rubric("Could a newcomer follow it?"))
    assert second.version == 2
    assert [r.version for r in rubric_versions(store, "clarity")] == [1, 2]
    assert get_rubric(store, "clarity") == second
    old = get_rubric(store, "clarity", 1)
    assert old is not None and old.criteria[0].question == "Is it clear?"  # never mutated
    stored = store.find(Table.RUBRICS, name="clarity", version=1)[0]
    assert stored["criteria"][0]["levels"] == list(LEVELS) and stored["created_at"]
    # saving an old version's content again is a change relative to the latest: version 3
    assert save_rubric(store, replace(old, version=None)).version == 3


def test_invalid_rubrics_are_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="exactly five"):
        Criterion("clarity", "Clarity", "Is it clear?", ("a", "b", "c", "d"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="column name"):
        Criterion("Clarity Score", "Clarity", "Is it clear?", LEVELS)
    criterion = Criterion("clarity", "Clarity", "Is it clear?", LEVELS)
    with pytest.raises(ValueError, match="repeats criterion keys: clarity"):
        Rubric("r", (criterion, criterion))
    with pytest.raises(ValueError, match="at least one criterion"):
        Rubric("r", ())


def test_presets_install_once_and_never_revert_a_user_edit(store: Store) -> None:
    assert set(PRESETS) == {"helpfulness", "correctness", "conciseness", "instruction-following",
                            "summary-faithfulness"}
    assert PRESETS["correctness"].uses_reference
    assert PRESETS["summary-faithfulness"].keys == ["faithfulness", "coverage"]
    installed = install_presets(store)
    assert [r.version for r in installed] == [1] * 5
    edited = save_rubric(store, replace(PRESETS["helpfulness"], description="Our own wording"))
    assert edited.version == 2
    install_presets(store)  # e.g. the next start-up
    assert get_rubric(store, "helpfulness") == edited
    assert [r.name for r in list_rubrics(store)] == sorted(PRESETS)
    assert store.count(Table.RUBRICS) == 6
