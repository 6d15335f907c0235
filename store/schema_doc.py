"""``store/SCHEMA.md``'s table sections, generated from the records so they can never go stale.

The file keeps its hand-written prose (conventions, migrations, failures) around one generated
block between the two marker lines below. ``python -m store.schema_doc --write`` regenerates the
block in place; ``python -m store.schema_doc`` prints the whole document; the test
``tests/test_records.py`` fails when the committed file differs from what this would write.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import types
import typing
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from store.records import (
    KIND_MEANINGS,
    RECORDS,
    STATUS_MEANINGS,
    Criterion,
    GradedItem,
    ModelResult,
    Owner,
    Part,
    Progress,
    PromptItem,
    PromptSetCopy,
)

SCHEMA_PATH = Path(__file__).with_name("SCHEMA.md")
BEGIN = "<!-- BEGIN TABLES: generated from store/records.py by `python -m store.schema_doc --write`; do not edit -->"
END = "<!-- END TABLES -->"
#: Nested objects documented once, under their own heading, after the tables.
PARTS: tuple[type[Part], ...] = (GradedItem, ModelResult, Owner, Progress, PromptSetCopy, PromptItem, Criterion)


def type_text(annotation: Any) -> str:
    """A field's type as SCHEMA.md spells it, e.g. ``float or null``, ``object of `ModelResult` ``."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is typing.Annotated:
        return type_text(args[0])
    if origin in (Union, types.UnionType):
        kept = [a for a in args if a is not type(None)]
        text = " or ".join(type_text(a) for a in kept)
        return f"{text} or null" if len(kept) < len(args) else text
    if origin is Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    if origin is list:
        return f"list[{type_text(args[0])}]"
    if origin is dict:
        if not args or args[1] is Any:
            return "object"
        values = type_text(args[1])
        return f"object of ({values})" if " " in values else f"object of {values}"
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return f"`{annotation.__name__}`"
    return getattr(annotation, "__name__", str(annotation))


def _rows(model: type[BaseModel]) -> list[str]:
    rows = ["| field | type | meaning |", "| --- | --- | --- |"]
    for name, info in model.model_fields.items():
        if info.exclude:  # the document id: the store's, never a stored field
            continue
        kind = type_text(info.annotation)
        if not info.is_required():
            kind += ", may be absent"
        rows.append(f"| `{name}` | {kind} | {(info.description or '').replace('|', chr(92) + '|')} |")
    return rows


def _prose(model: type[BaseModel]) -> str:
    return inspect.cleandoc(model.__doc__ or "")


def _section(heading: str, model: type[BaseModel]) -> str:
    return "\n".join([heading, "", _prose(model), "", *_rows(model)])


def tables_block() -> str:
    """The generated block, markers included."""
    sections = [_section(f"### `{r.TABLE}` ({r.__name__})", r) for r in RECORDS]
    sections += [_section(f"### `{p.__name__}`", p) for p in PARTS]
    return "\n\n".join([BEGIN, "## Tables", *sections, "### Run kinds and statuses", _meanings(), END])


def _meanings() -> str:
    rows = ["| value | meaning |", "| --- | --- |"]
    rows += [f"| `{value}` | {meaning} |" for value, meaning in (KIND_MEANINGS | STATUS_MEANINGS).items()]
    return "\n".join(rows)


def render(document: str) -> str:
    """``document`` with its generated block replaced by the current one."""
    if BEGIN not in document or END not in document:
        raise ValueError(f"{SCHEMA_PATH.name} has lost its markers; put back the lines\n{BEGIN}\n{END}")
    head, rest = document.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    return head + tables_block() + tail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"rewrite {SCHEMA_PATH} in place")
    args = parser.parse_args(argv)
    text = render(SCHEMA_PATH.read_text(encoding="utf-8"))
    if args.write:
        SCHEMA_PATH.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
