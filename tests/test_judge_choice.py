"""The judge picker's default: the most capable ready model that is not a candidate, or none (ask)."""

from __future__ import annotations

import pytest

from core.engines.base import ModelEntry
from core.grading.judge_choice import parameters_billions, suggest_judge

DEFAULT = ModelEntry("foundry-local", "pickwise-smollm2-135m:1", state="cached", size_mb=138.0,
                     task="chat-completion")
PHI = ModelEntry("foundry-local", "phi-4-mini-instruct-generic-cpu:5", state="cached", size_mb=4_800.0,
                 task="chat-completion")
QWEN_SMALL = ModelEntry("foundry-local", "qwen2.5-0.5b-instruct-generic-cpu:4", state="cached", size_mb=800.0,
                        task="chat-completion")
QWEN_7B = ModelEntry("ollama", "qwen2.5:7b", state="remote")
OPAQUE = ModelEntry("azure", "gpt-4o-mini", state="remote")
OPAQUE_2 = ModelEntry("azure", "my-deployment", state="remote")


@pytest.mark.parametrize(("entry", "billions"), [
    (DEFAULT, 0.135), (QWEN_SMALL, 0.5), (QWEN_7B, 7.0), (ModelEntry("x", "llama3.2:3b"), 3.0),
    (ModelEntry("x", "Qwen/Qwen2.5-1.5B-Instruct"), 1.5), (OPAQUE, None),
])
def test_parameters_from_the_name_first(entry: ModelEntry, billions: float | None) -> None:
    assert parameters_billions(entry) == (pytest.approx(billions) if billions is not None else None)


def test_size_on_disk_estimates_the_rest() -> None:
    assert parameters_billions(PHI) == pytest.approx(4_800e6 * 8 / 4.5 / 1e9)  # ~8.5 B at int4


def test_the_largest_non_candidate_is_preselected() -> None:
    suggestion = suggest_judge([DEFAULT, QWEN_SMALL, QWEN_7B, PHI], candidates=["foundry-local:qwen2.5-0.5b-"
                                                                                "instruct-generic-cpu:4"])
    assert suggestion.ref == PHI.ref and "largest model here that is not a candidate" in suggestion.reason
    # a candidate never judges, even served by another source
    assert suggest_judge([PHI, QWEN_7B], ["lmstudio:phi-4-mini-instruct-generic-cpu:5"]).ref == QWEN_7B.ref


def test_nothing_capable_means_ask() -> None:
    suggestion = suggest_judge([DEFAULT, QWEN_SMALL], candidates=[])
    assert suggestion.ref is None and suggestion.reason.startswith("Choose the judge:")
    assert "135M" in suggestion.reason
    downloadable = ModelEntry("foundry-local", "phi-4:1", state="available", size_mb=9_000.0)
    assert suggest_judge([DEFAULT, downloadable], []).ref is None  # never one that needs a download first
    embedder = ModelEntry("foundry-local", "big-embedder-8b:1", state="cached", task="embeddings")
    assert suggest_judge([embedder], []).ref is None


def test_an_endpoint_of_unknown_size_ranks_above_the_tiny_default_but_two_are_a_tie() -> None:
    assert suggest_judge([DEFAULT, OPAQUE], []).ref == OPAQUE.ref
    tie = suggest_judge([DEFAULT, OPAQUE, OPAQUE_2], [])
    assert tie.ref is None and "several endpoint models" in tie.reason
    assert suggest_judge([OPAQUE, OPAQUE_2, QWEN_7B], []).ref == QWEN_7B.ref  # a known size wins
