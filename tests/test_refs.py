"""Model references split at the first colon, so Foundry Local ids keep their version colon."""

from __future__ import annotations

import pytest

from core.refs import ModelRef, parse_ref


def test_foundry_id_keeps_its_own_colon() -> None:
    ref = parse_ref("foundry-local:qwen2.5-0.5b-instruct-generic-cpu:4")
    assert ref == ModelRef("foundry-local", "qwen2.5-0.5b-instruct-generic-cpu:4")
    assert str(ref) == "foundry-local:qwen2.5-0.5b-instruct-generic-cpu:4"


def test_endpoint_ref_round_trips() -> None:
    assert str(parse_ref(" my-ollama:llama3.2 ")) == "my-ollama:llama3.2"


@pytest.mark.parametrize("bad", ["", "no-colon", ":model", "source:", "  :  "])
def test_malformed_refs_explain_the_format(bad: str) -> None:
    with pytest.raises(ValueError, match="SOURCE:MODEL_ID"):
        parse_ref(bad)
