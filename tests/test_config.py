"""Config files: valid ones load, every class of mistake is reported with its location, all at once."""

from __future__ import annotations

import json
import random

import pytest

from core.benchmark.prompt_sets.builtin import (
    BUILTIN_DESCRIPTIONS,
    LADDER,
    LADDER_WORD_COUNTS,
    MEETINGS,
    RAG,
    builtin_prompt_sets,
    length_ladder,
)
from core.config import (
    ConfigError,
    ModelSpec,
    PromptItem,
    dump_models_config,
    dump_prompts_config,
    load_json_object,
    load_models_config,
    load_prompts_config,
)
from core.refs import parse_ref

MODELS = """{
  "qwen": {"source": "foundry-local", "model": "qwen2.5-0.5b-instruct-generic-cpu:4",
           "capabilities": ["chat", "tools"], "size_mb": 822, "license": "apache-2.0", "notes": "default"},
  "llama": {"source": "my-ollama", "model": "llama3.2", "size_mb": 1925.5}
}"""


def problems_of(loader, text, **kwargs) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        loader(text, **kwargs)
    return caught.value.problems


# --- models.json -----------------------------------------------------------------------------------


def test_valid_models_file() -> None:
    qwen, llama = load_models_config(MODELS)
    assert (qwen.alias, qwen.capabilities, qwen.size_mb, qwen.license) == ("qwen", ["chat", "tools"], 822, "apache-2.0")
    assert qwen.ref == "foundry-local:qwen2.5-0.5b-instruct-generic-cpu:4"
    assert parse_ref(qwen.ref).model_id == qwen.model  # the version colon survives the first-colon split
    assert (llama.ref, llama.capabilities, llama.license, llama.notes) == ("my-ollama:llama3.2", [], None, "")


def test_models_example_message_from_the_brief() -> None:
    text = '{"qwen": {"source": "foundry-local", "model": "q", "size_mb": "big"}}'
    assert problems_of(load_models_config, text) == ['models.json → "qwen" → size_mb: expected a number, got "big"']


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{}", "models.json: no models defined"),
        ('["qwen"]', "models.json: expected an object mapping aliases to models, got a list"),
        ('{"q": 3}', 'models.json → "q": expected an object, got 3'),
        ('{"q": {"model": "m"}}', 'models.json → "q" → source: required field is missing'),
        ('{"q": {"source": "s", "model": "m", "licence": "mit"}}', 'licence: unknown field (did you mean "license"?)'),
        ('{"q": {"source": "s", "model": "m", "zzz": 1}}', "zzz: unknown field (allowed: source, model, capabilities"),
        ('{"q": {"source": "s", "model": "  "}}', 'models.json → "q" → model: must not be empty'),
        ('{"": {"source": "s", "model": "m"}}', 'models.json → "": the alias must not be empty'),
        ('{"q": {"source": "a:b", "model": "m"}}', "source: must be a single word without ':' or spaces"),
        ('{"q": {"source": "s", "model": "m", "size_mb": -1}}', "size_mb: must be 0 or more, got -1"),
        ('{"q": {"source": "s", "model": "m", "size_mb": true}}', "size_mb: expected a number, got true"),
        ('{"q": {"source": "s", "model": "m", "capabilities": "chat"}}', 'capabilities: expected a list, got "chat"'),
        ('{"q": {"source": "s", "model": "m", "capabilities": ["a", ""]}}', "capabilities → item 2: must not be empty"),
        ('{"q": {"source": "s", "model": 7}}', 'models.json → "q" → model: expected text, got 7'),
        ('{"q": {"source": "s", "model": "m"}, "q": {"source": "s", "model": "n"}}', 'alias "q" is defined more'),
        ('{"q": {"source": "s", "model": "m", "model": "n"}}', 'models.json → "q": key "model" appears more than once'),
        ('{"a": {"source": "s", "model": "m"}, "b": {"source": "s", "model": "m"}}', '"b": same model as "a" (s:m)'),
    ],
)
def test_bad_models_file_is_located(text: str, expected: str) -> None:
    problems = problems_of(load_models_config, text)
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "models.json: the file is empty"),
        ('{"q": {"source": "s",}}', "models.json → line 1, column 22: invalid JSON"),
        ('{"q": {"source": "s",}}', "(remove the trailing comma)"),
        ('{\n  "q": {"source" "s"}\n}', "models.json → line 2, column 18: invalid JSON: Expecting ':' delimiter"),
        (b'{"q": "caf\xe9"}', "models.json: not UTF-8 text (byte 0xe9 at offset 10); save it as UTF-8"),
    ],
)
def test_unreadable_file_is_located(text: str | bytes, expected: str) -> None:
    problems = problems_of(load_models_config, text)
    assert len(problems) == 1 and expected in problems[0], problems


def test_every_problem_is_reported_at_once() -> None:
    text = """{
      "a": {"source": "s", "model": "m", "size_mb": "big", "licence": "mit"},
      "b": {"model": ""},
      "c": []
    }"""
    problems = problems_of(load_models_config, text)
    assert len(problems) == 5, problems  # a: 2, b: 2, c: 1
    message = str(ConfigError("models.json", problems))
    assert message.startswith("models.json has 5 problems:")
    assert all(f"- {problem}" in message for problem in problems)


def test_filename_appears_in_messages() -> None:
    assert problems_of(load_models_config, "[]", filename="team-models.json")[0].startswith("team-models.json:")


def test_byte_order_mark_is_accepted() -> None:
    assert len(load_models_config(MODELS.encode("utf-8-sig"))) == 2
    assert len(load_models_config("\ufeff" + MODELS)) == 2


def test_garbage_never_escapes_as_anything_but_config_error() -> None:
    rng = random.Random(0)
    inputs: list[str | bytes] = [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40))) for _ in range(200)]
    inputs += ["null", "1", '"x"', "[[]]", '{"a": {"b": {"c": []}}}', "[{}]", "NaN", '{"q": {"size_mb": NaN}}']
    for text in inputs:
        for loader in (load_models_config, load_prompts_config):
            try:
                loader(text)
            except ConfigError as exc:
                assert exc.problems and all(isinstance(p, str) for p in exc.problems)


def test_models_round_trip() -> None:
    specs = load_models_config(MODELS)
    text = dump_models_config(specs)
    assert load_models_config(text) == specs
    assert json.loads(text)["llama"] == {
        "source": "my-ollama",
        "model": "llama3.2",
        "capabilities": [],
        "size_mb": 1925.5,
        "license": None,
        "notes": "",
    }


def test_dump_refuses_repeated_aliases() -> None:
    spec = ModelSpec(alias="a", source="s", model="m")
    with pytest.raises(ValueError, match="aliases must be unique"):
        dump_models_config([spec, spec])


# --- prompts.json ----------------------------------------------------------------------------------


def test_mixed_prompts_get_positional_ids() -> None:
    text = '["First?", {"id": "own", "prompt": "Second?", "reference": "R", "aspects": ["x"]}, "Third?"]'
    first, second, third = load_prompts_config(text)
    assert (first.id, first.prompt, first.reference, first.aspects) == ("p1", "First?", None, [])
    assert (second.id, second.reference, second.aspects) == ("own", "R", ["x"])
    assert third.id == "p3"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[]", "prompts.json: no prompts defined"),
        ('{"p1": "x"}', "prompts.json: expected a list of prompts, got an object"),
        ('["ok", ""]', "prompts.json → item 2 → prompt: must not be empty"),
        ('["ok", 3]', "prompts.json → item 2: expected text or an object, got 3"),
        ('[{"prompt": "x"}]', "prompts.json → item 1 → id: required field is missing"),
        ('[{"id": "a", "prompt": "x", "aspect": ["y"]}]', 'aspect: unknown field (did you mean "aspects"?)'),
        ('[{"id": "a", "prompt": "x", "aspects": "y"}]', 'item 1 → aspects: expected a list, got "y"'),
        ('[{"id": "a", "prompt": "x", "reference": ""}]', "item 1 → reference: must not be empty"),
        ('[{"id": "a", "prompt": "x"}, {"id": "a", "prompt": "y"}]', 'item 2: id "a" is already used by item 1'),
        ('["x", {"id": "p1", "prompt": "y"}]', 'item 2: id "p1" is already used by item 1'),
        ('[{"id": "a", "prompt": "x", "prompt": "y"}]', 'item 1: key "prompt" appears more than once'),
        ('["a",\n "b",\n]', "prompts.json → line 3, column 1: invalid JSON"),
    ],
)
def test_bad_prompts_file_is_located(text: str, expected: str) -> None:
    problems = problems_of(load_prompts_config, text)
    assert any(expected in problem for problem in problems), problems


def test_prompts_round_trip_with_explicit_ids() -> None:
    items = load_prompts_config('["A?", {"id": "b", "prompt": "B?", "reference": "ref", "aspects": ["one"]}]')
    text = dump_prompts_config(items)
    assert json.loads(text) == [
        {"id": "p1", "prompt": "A?"},
        {"id": "b", "prompt": "B?", "reference": "ref", "aspects": ["one"]},
    ]
    assert load_prompts_config(text) == items


# --- built-in prompt sets --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def builtin() -> dict[str, list[PromptItem]]:
    return builtin_prompt_sets()


def test_builtin_sets_load_and_are_described(builtin: dict[str, list[PromptItem]]) -> None:
    assert list(builtin) == [RAG, MEETINGS, LADDER]
    assert set(BUILTIN_DESCRIPTIONS) == set(builtin)
    for items in builtin.values():
        assert load_prompts_config(dump_prompts_config(items)) == items


def test_rag_set_keeps_the_seed_prompts_verbatim(builtin: dict[str, list[PromptItem]]) -> None:
    assert [item.prompt for item in builtin[RAG]] == [
        "Explain the principle of retrieval augmented generation in 2 sentences.",
        "List 3 privacy benefits of local inference.",
        "Summarize why model size impacts latency on consumer hardware.",
        "Provide two scenarios where an SLM is preferable to an LLM.",
    ]
    assert all(item.reference and item.aspects for item in builtin[RAG])


def test_meeting_set_has_gradable_transcripts(builtin: dict[str, list[PromptItem]]) -> None:
    meetings = builtin[MEETINGS]
    assert 5 <= len(meetings) <= 6
    for item in meetings:
        instruction, _, transcript = item.prompt.partition("Transcript:\n")
        assert "Decisions" in instruction and "Action items" in instruction
        assert 150 <= len(transcript.split()) <= 400, item.id
        assert "Decisions" in item.reference and "Action items" in item.reference
        assert len(item.aspects) >= 4


def test_length_ladder_rungs(builtin: dict[str, list[PromptItem]]) -> None:
    ladder = builtin[LADDER]
    assert [item.id for item in ladder] == ["len-0050", "len-0200", "len-0800", "len-2000"]
    for item, words in zip(ladder, LADDER_WORD_COUNTS, strict=True):
        assert len(item.prompt.split("Report:\n", 1)[1].split()) == words


def test_shipped_ladder_file_matches_its_generator(builtin: dict[str, list[PromptItem]]) -> None:
    assert builtin[LADDER] == length_ladder()


# --- numbers JSON allows but no one can use; files too big to be a product owner's list -----------


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1" * 5000])
def test_non_finite_numbers_are_located_problems(literal: str) -> None:
    shown = literal if len(literal) <= 40 else literal[:37] + "..."
    text = '{"q": {"source": "s", "model": "m", "size_mb": VALUE}, "ok": {"source": "s", "model": "n"}}'
    text = text.replace("VALUE", literal)
    assert problems_of(load_models_config, text) == [
        f'models.json → "q" → size_mb: {shown} is not a finite number; write an ordinary number'
    ]
    prompts = '["fine", {"id": "a", "prompt": VALUE}]'.replace("VALUE", literal)
    assert problems_of(load_prompts_config, prompts) == [
        f"prompts.json → item 2 → prompt: {shown} is not a finite number; write an ordinary number"
    ]


def test_every_model_field_refuses_non_finite_numbers() -> None:
    with pytest.raises(ValueError, match="finite"):
        ModelSpec(alias="a", source="s", model="m", size_mb=float("inf"))


def test_more_models_than_the_limit_are_refused_in_one_sentence() -> None:
    entries = {f"m{i}": {"source": "s", "model": f"model-{i}"} for i in range(10_000)}
    assert problems_of(load_models_config, json.dumps(entries)) == [
        "models.json: 10,000 models defined; the limit is 200 per file: split it into several files"
    ]
    assert len(load_models_config(json.dumps(dict(list(entries.items())[:200])))) == 200


def test_json_object_files_share_the_checks() -> None:
    assert load_json_object('{"latency": 40}', "weights.json") == {"latency": 40}
    assert problems_of(load_json_object, '{"latency": NaN}', filename="weights.json") == [
        'weights.json → "latency": NaN is not a finite number; write an ordinary number'
    ]
    assert problems_of(load_json_object, "[1, 2]", filename="constraints.json") == [
        "constraints.json: expected a JSON object such as {\"name\": value}, got a list"
    ]


def test_absurdly_nested_json_is_a_problem_not_a_crash() -> None:
    assert problems_of(load_models_config, "[" * 100_000) == ["models.json: nested too deeply to be a Pickwise file"]
