"""Rubrics: what "good" means, as criteria with five anchored levels, versioned in the store.

Why anchored levels: a bare "rate 1-5" lets each grader (person or model) invent their own scale,
so scores from two graders cannot be compared; a sentence per level pins every number down.

Why versions: every judgment and grade records the rubric name and version it used. Editing a
rubric in place would silently change the meaning of scores already stored, so saving a changed
rubric always writes ``version + 1`` and old versions stay readable forever.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from core.jobs import utc_now
from store import Store, queries, records
from store.records import RubricVersion

LEVELS = (1, 2, 3, 4, 5)
_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class Criterion:
    """One thing to score. ``key`` names its JSON field and CSV column, so it is a short identifier."""

    key: str
    title: str
    question: str
    levels: tuple[str, str, str, str, str]  # what a 1, 2, 3, 4, 5 looks like, in that order

    def __post_init__(self) -> None:
        if not _KEY_RE.match(self.key):
            raise ValueError(
                f"Criterion key {self.key!r} must be lower-case letters, digits and '_' (starting with a "
                "letter, at most 40 characters): it becomes a column name in exports."
            )
        if not self.title.strip() or not self.question.strip():
            raise ValueError(f"Criterion {self.key!r} needs a title and a question.")
        if len(self.levels) != len(LEVELS) or any(not str(text).strip() for text in self.levels):
            raise ValueError(f"Criterion {self.key!r} needs exactly five non-empty level descriptions (1 to 5).")

    def to_doc(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "question": self.question, "levels": list(self.levels)}

    @classmethod
    def from_record(cls, stored: records.Criterion) -> Criterion:
        return cls(stored.key, stored.title, stored.question, tuple(stored.levels))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Rubric:
    """Criteria plus whether the prompt's reference answer is needed; ``version`` is ``None`` until saved."""

    name: str
    criteria: tuple[Criterion, ...]
    description: str = ""
    uses_reference: bool = False
    version: int | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("A rubric needs a name.")
        if not self.criteria:
            raise ValueError(f"Rubric {self.name!r} needs at least one criterion.")
        keys = [c.key for c in self.criteria]
        repeated = sorted({k for k in keys if keys.count(k) > 1})
        if repeated:
            raise ValueError(f"Rubric {self.name!r} repeats criterion keys: {', '.join(repeated)}.")

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.criteria]

    @property
    def label(self) -> str:
        """``name v3``: how a stored score names the rubric it used."""
        return f"{self.name} v{self.version}" if self.version is not None else f"{self.name} (unsaved)"

    def content(self) -> dict[str, Any]:
        """Everything that changes the meaning of a score (what versioning compares)."""
        return {
            "description": self.description,
            "uses_reference": self.uses_reference,
            "criteria": [c.to_doc() for c in self.criteria],
        }

    def to_doc(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, **self.content()}

    @classmethod
    def from_record(cls, stored: RubricVersion) -> Rubric:
        return cls(name=stored.name, criteria=tuple(Criterion.from_record(c) for c in stored.criteria),
                   description=stored.description, uses_reference=stored.uses_reference, version=stored.version)


def save_rubric(store: Store, rubric: Rubric) -> Rubric:
    """Store ``rubric`` as a new version if its content differs from the latest; return the stored one.

    Saving unchanged content returns the latest version without writing, so "save" is safe to call
    on every page render. Old versions are never modified.
    """
    with store.transaction():
        latest = get_rubric(store, rubric.name)
        if latest is not None and latest.content() == rubric.content():
            return latest
        saved = replace(rubric, version=(latest.version or 0) + 1 if latest else 1)
        queries.insert(store, RubricVersion.build({**saved.to_doc(), "created_at": utc_now()}))
    return saved


def get_rubric(store: Store, name: str, version: int | None = None) -> Rubric | None:
    """One version of a rubric (the latest when ``version`` is None), or ``None``."""
    where = {"name": name} if version is None else {"name": name, "version": version}
    stored = queries.find(store, RubricVersion, **where)
    if not stored:
        return None
    return Rubric.from_record(max(stored, key=lambda r: r.version))


def rubric_versions(store: Store, name: str) -> list[Rubric]:
    """Every stored version of one rubric, oldest first."""
    return [Rubric.from_record(r) for r in sorted(queries.find(store, RubricVersion, name=name),
                                                  key=lambda r: r.version)]


def list_rubrics(store: Store) -> list[Rubric]:
    """The latest version of every stored rubric, by name."""
    latest: dict[str, RubricVersion] = {}
    for stored in queries.find(store, RubricVersion):
        if stored.name not in latest or stored.version > latest[stored.name].version:
            latest[stored.name] = stored
    return [Rubric.from_record(latest[name]) for name in sorted(latest)]
