"""One typed parse of an OpenAI chat-completions stream chunk, so a malformed chunk is one clear error.

A server is untrusted input: ``data: [1,2,3]``, ``{"choices": "abc"}``, a delta that is a string,
``"content": 12345`` or ``"usage": [1, 2]`` must not surface as an ``AttributeError`` deep in the
runner (aborting a whole benchmark) nor as a number where text belongs (breaking the maths later).
Every field the engine reads is checked here, once; ``null`` counts as absent, as OpenAI sends it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson


class MalformedChunk(ValueError):
    """The chunk is not shaped like a chat-completions chunk; the message says what is wrong."""


@dataclass(frozen=True)
class ChoiceDelta:
    """What one choice of a chunk adds: answer text, reasoning text, and why generation stopped."""

    content: str | None
    reasoning: str | None
    finish_reason: str | None


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int | None
    completion_tokens: int | None


@dataclass(frozen=True)
class ChatChunk:
    choices: tuple[ChoiceDelta, ...]
    usage: Usage | None
    error: str | None  # the server reported an error mid-stream


def parse_chunk(data: str) -> ChatChunk:
    """Parse the JSON payload of one ``data:`` line; raise ``MalformedChunk`` when it is not one."""
    try:
        raw = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise MalformedChunk("it is not JSON") from None
    if not isinstance(raw, dict):
        raise MalformedChunk(f"it is {_kind(raw)}, not a JSON object")
    if raw.get("error"):
        return ChatChunk((), None, str(raw["error"]))
    choices = _field(raw, "choices", list, "a list") or []
    return ChatChunk(tuple(_choice(c) for c in choices), _usage(raw), None)


def _choice(raw: Any) -> ChoiceDelta:
    if not isinstance(raw, dict):
        raise MalformedChunk(f"a choice is {_kind(raw)}, not an object")
    delta = _field(raw, "delta", dict, "an object") or {}
    reasoning = _field(delta, "reasoning_content", str, "text") or _field(delta, "reasoning", str, "text")
    return ChoiceDelta(
        content=_field(delta, "content", str, "text"),
        reasoning=reasoning,
        finish_reason=_field(raw, "finish_reason", str, "text"),
    )


def _usage(raw: dict[str, Any]) -> Usage | None:
    usage = _field(raw, "usage", dict, "an object")
    if usage is None:
        return None
    return Usage(_token_count(usage, "prompt_tokens"), _token_count(usage, "completion_tokens"))


def _token_count(usage: dict[str, Any], key: str) -> int | None:
    value = usage.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MalformedChunk(f"usage.{key} is {_kind(value)}, not a whole number of tokens")
    return value


def _field(obj: dict[str, Any], key: str, kind: type, described: str) -> Any:
    """``obj[key]`` if it has the expected type, ``None`` when absent or null; otherwise malformed."""
    value = obj.get(key)
    if value is None or isinstance(value, kind):
        return value
    raise MalformedChunk(f"{key!r} is {_kind(value)}, not {described}")


def _kind(value: Any) -> str:
    """A short description of a JSON value for a message (never the value itself, which may be huge)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"the number {value}" if abs(value) < 1e15 else "a number"
    return {str: "a string", list: "a list", dict: "an object"}.get(type(value), type(value).__name__)
