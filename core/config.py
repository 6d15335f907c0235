"""The two files a user brings: ``models.json`` (what to compare) and ``prompts.json`` (what to ask).

``models.json``::

    {"qwen": {"source": "foundry-local", "model": "qwen2.5-0.5b-instruct-generic-cpu:4",
              "capabilities": ["chat"], "size_mb": 822, "license": "apache-2.0", "notes": ""}}

``source`` is ``foundry-local`` or the name of a configured OpenAI-compatible endpoint; ``model`` is
the id that source knows. ``prompts.json`` is a list of plain strings (ids ``p1``, ``p2``... by
position) or objects ``{"id", "prompt", "reference"?, "aspects"?}``, mixed freely.

These files are hand-edited by people who are not developers, so loading never shows a traceback:
it collects *every* problem, each prefixed with where it is (``models.json → "qwen" → size_mb:
expected a number, got "big"``), and raises one ``ConfigError`` listing them all. Numbers JSON
parsers accept but nothing can use (``NaN``, ``Infinity``, ``1e400``, which Python reads as
infinity) are problems too, located like any other.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Iterator
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StringConstraints, ValidationError

from core.limits import MAX_MODELS

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
SourceName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, pattern=r"^[^:\s]+$")]
_SEP = " → "


class ConfigError(ValueError):
    """A config file that cannot be used; ``problems`` holds one located, readable line per problem."""

    def __init__(self, filename: str, problems: list[str]) -> None:
        self.filename = filename
        self.problems = problems
        count = f"{len(problems)} problem" + ("" if len(problems) == 1 else "s")
        super().__init__(f"{filename} has {count}:\n" + "\n".join(f"- {p}" for p in problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class ModelFields(_Strict):
    """One entry of ``models.json`` as written in the file (the alias is its key)."""

    source: SourceName  # "foundry-local" or an endpoint name; never contains the ref's ":"
    model: NonEmpty
    capabilities: list[NonEmpty] = []
    size_mb: Annotated[StrictFloat, Field(ge=0, allow_inf_nan=False)] | None = None
    license: NonEmpty | None = None
    family: NonEmpty | None = None  # the same model served elsewhere carries the same tag (Compare pairs devices by it)
    notes: str = ""


class ModelSpec(ModelFields):
    """A model to benchmark, named by the user's alias."""

    alias: NonEmpty

    @property
    def ref(self) -> str:
        """The app-wide ``SOURCE:MODEL_ID`` reference (see ``core.refs``)."""
        return f"{self.source}:{self.model}"


class PromptItem(_Strict):
    """One prompt; ``reference`` and ``aspects`` feed grading (what a good answer says)."""

    id: NonEmpty
    prompt: NonEmpty
    reference: NonEmpty | None = None
    aspects: list[NonEmpty] = []


_M = TypeVar("_M", bound=_Strict)


# --- reading JSON --------------------------------------------------------------------------------


class _JsonObject(dict[str, Any]):
    """A parsed JSON object that remembers repeated keys, which ``json`` would silently collapse."""

    def __init__(self) -> None:
        super().__init__()
        self.repeated: list[str] = []


def _object_hook(pairs: list[tuple[str, Any]]) -> _JsonObject:
    obj = _JsonObject()
    for key, value in pairs:
        if key in obj and key not in obj.repeated:
            obj.repeated.append(key)
        obj[key] = value
    return obj


class _NonFinite:
    """A number literal with no finite float value (``NaN``, ``Infinity``, ``1e400``, 400 digits).

    The parser keeps it as this marker instead of failing, so the problem can be located in the tree."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _finite(text: str, kind: type[int] | type[float]) -> int | float | _NonFinite:
    return kind(text) if math.isfinite(float(text)) else _NonFinite(text)


def _non_finite_problems(data: Any, filename: str) -> Iterator[str]:
    """Where each ``_NonFinite`` sits (iteratively: JSON may nest deeper than Python recurses)."""
    stack: list[tuple[Any, list[str]]] = [(data, [filename])]
    while stack:
        value, where = stack.pop()
        if isinstance(value, _NonFinite):
            yield _at(where, f"{_shorten(value.text)} is not a finite number; write an ordinary number")
        elif isinstance(value, dict):
            top = len(where) == 1  # top-level keys are names the user chose: quote them, as elsewhere
            stack.extend((v, [*where, json.dumps(k, ensure_ascii=False) if top else k])
                         for k, v in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend((v, [*where, f"item {i}"]) for i, v in reversed(list(enumerate(value, start=1))))


def _parse_json(text: str | bytes, filename: str) -> Any:
    """Decode and parse, turning encoding and syntax errors into located ``ConfigError``s."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            bad = text[exc.start : exc.start + 1].hex()
            raise ConfigError(
                filename,
                [_at([filename], f"not UTF-8 text (byte 0x{bad} at offset {exc.start}); save it as UTF-8")],
            ) from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise ConfigError(filename, [_at([filename], "the file is empty")])
    try:
        data = json.loads(text, object_pairs_hook=_object_hook, parse_constant=_NonFinite,
                          parse_float=lambda t: _finite(t, float), parse_int=lambda t: _finite(t, int))
    except json.JSONDecodeError as exc:
        hint = " (remove the trailing comma)" if text[: exc.pos].rstrip().endswith(",") else ""
        raise ConfigError(
            filename,
            [_at([filename, f"line {exc.lineno}, column {exc.colno}"], f"invalid JSON: {exc.msg}{hint}")],
        ) from None
    except RecursionError:
        raise ConfigError(filename, [_at([filename], "nested too deeply to be a Pickwise file")]) from None
    if problems := list(_non_finite_problems(data, filename)):
        raise ConfigError(filename, problems)
    return data


def load_json_object(text: str | bytes, filename: str) -> dict[str, Any]:
    """A small JSON settings file (e.g. decision weights or constraints) with the same checks as the rest."""
    data = _parse_json(text, filename)
    if not isinstance(data, dict):
        raise ConfigError(
            filename, [_at([filename], f'expected a JSON object such as {{"name": value}}, got {_kind(data)}')]
        )
    return dict(data)


# --- describing problems -------------------------------------------------------------------------


def _show(value: Any) -> str:
    """A value as the user wrote it, shortened."""
    return _shorten(json.dumps(value, ensure_ascii=False))


def _shorten(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


def _kind(value: Any) -> str:
    """The JSON type of a value, in words."""
    for json_type, name in ((bool, "true/false"), (int | float, "a number"), (str, "text"), (list, "a list")):
        if isinstance(value, json_type):
            return name
    return "an object" if isinstance(value, dict) else "null"


def _describe(error: dict[str, Any], allowed: list[str]) -> str:
    """One pydantic error in the words of someone editing the file."""
    kind, value = error["type"], error.get("input")
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(str(error["loc"][-1]), allowed, n=1)
        hint = f'did you mean "{close[0]}"?' if close else "allowed: " + ", ".join(allowed)
        return f"unknown field ({hint})"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_pattern_mismatch":
        return f"must be a single word without ':' or spaces, got {_show(value)}"
    if kind in ("float_type", "finite_number"):
        return f"expected a number, got {_show(value)}"
    if kind == "greater_than_equal":
        return f"must be 0 or more, got {_show(value)}"
    expected = {"string_type": "text", "list_type": "a list"}.get(kind)
    if expected:
        return f"expected {expected}, got {_show(value)}"
    return error["msg"]


def _path(loc: tuple[str | int, ...]) -> list[str]:
    """Pydantic locations as people count: field names, and list positions from 1."""
    return [f"item {part + 1}" if isinstance(part, int) else part for part in loc]


def _at(where: list[str], message: str) -> str:
    return _SEP.join(where) + ": " + message


def _validate(model: type[_M], data: Any, where: list[str], problems: list[str]) -> _M | None:
    """Validate one entry, appending every located problem; return the model or ``None``."""
    if not isinstance(data, dict):
        problems.append(_at(where, f"expected an object, got {_show(data)}"))
        return None
    problems.extend(
        _at(where, f'key "{key}" appears more than once') for key in getattr(data, "repeated", [])
    )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        allowed = list(model.model_fields)
        problems.extend(
            _at([*where, *_path(err["loc"])], _describe(dict(err), allowed)) for err in exc.errors()
        )
        return None


# --- models.json ---------------------------------------------------------------------------------


def load_models_config(text: str | bytes, filename: str = "models.json") -> list[ModelSpec]:
    """Parse ``models.json``; raise ``ConfigError`` listing every problem found."""
    data = _parse_json(text, filename)
    if not isinstance(data, dict):
        raise ConfigError(
            filename, [_at([filename], f"expected an object mapping aliases to models, got {_kind(data)}")]
        )
    if len(data) > MAX_MODELS:
        raise ConfigError(filename, [_at([filename], f"{len(data):,} models defined; the limit is {MAX_MODELS} "
                                                     "per file: split it into several files")])
    problems = [_at([filename], f'alias "{key}" is defined more than once') for key in data.repeated]
    if not data:
        problems.append(_at([filename], "no models defined"))
    specs: list[ModelSpec] = []
    for alias, entry in data.items():
        where = [filename, json.dumps(alias, ensure_ascii=False)]
        if not alias.strip():
            problems.append(_at(where, "the alias must not be empty"))
        fields = _validate(ModelFields, entry, where, problems)
        if fields is not None and alias.strip():
            specs.append(ModelSpec(alias=alias, **fields.model_dump()))
    problems.extend(_repeated_refs(specs, filename))
    if problems:
        raise ConfigError(filename, problems)
    return specs


def _repeated_refs(specs: list[ModelSpec], filename: str) -> list[str]:
    """Two aliases for one model would split its samples under two names; flag the later ones."""
    first_alias: dict[str, str] = {}
    problems = []
    for spec in specs:
        if spec.ref in first_alias:
            problems.append(
                _at([filename, f'"{spec.alias}"'], f'same model as "{first_alias[spec.ref]}" ({spec.ref})')
            )
        first_alias.setdefault(spec.ref, spec.alias)
    return problems


def dump_models_config(specs: list[ModelSpec]) -> str:
    """``models.json`` text for these specs (pretty, UTF-8 friendly); ``load_models_config`` reads it back."""
    aliases = [spec.alias for spec in specs]
    if len(set(aliases)) != len(aliases):
        raise ValueError("cannot write models.json: aliases must be unique")
    body = {spec.alias: spec.model_dump(exclude={"alias"} | ({"family"} if spec.family is None else set()))
            for spec in specs}  # a file without family tags reads as it did before they existed
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


# --- prompts.json --------------------------------------------------------------------------------


def load_prompts_config(text: str | bytes, filename: str = "prompts.json") -> list[PromptItem]:
    """Parse ``prompts.json``; raise ``ConfigError`` listing every problem found."""
    data = _parse_json(text, filename)
    if not isinstance(data, list):
        raise ConfigError(filename, [_at([filename], f"expected a list of prompts, got {_kind(data)}")])
    problems: list[str] = [] if data else [_at([filename], "no prompts defined")]
    items: list[tuple[int, PromptItem]] = []
    for position, entry in enumerate(data, start=1):
        where = [filename, f"item {position}"]
        if isinstance(entry, str):
            entry = {"id": f"p{position}", "prompt": entry}
        elif not isinstance(entry, dict):
            problems.append(_at(where, f"expected text or an object, got {_show(entry)}"))
            continue
        item = _validate(PromptItem, entry, where, problems)
        if item is not None:
            items.append((position, item))
    problems.extend(_repeated_ids(items, filename))
    if problems:
        raise ConfigError(filename, problems)
    return [item for _, item in items]


def _repeated_ids(items: list[tuple[int, PromptItem]], filename: str) -> list[str]:
    """Ids key samples and grades, so each must name exactly one prompt."""
    first_at: dict[str, int] = {}
    problems = []
    for position, item in items:
        if item.id in first_at:
            problems.append(
                _at(
                    [filename, f"item {position}"],
                    f'id "{item.id}" is already used by item {first_at[item.id]}',
                )
            )
        first_at.setdefault(item.id, position)
    return problems


def dump_prompts_config(items: list[PromptItem]) -> str:
    """``prompts.json`` text with explicit ids, so reordering the file never renames a prompt."""
    body = [item.model_dump(exclude_defaults=True) for item in items]
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"
