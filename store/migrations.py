"""Ordered, forward-only schema migrations for the store's main file.

``MIGRATIONS[i]`` upgrades a file from version ``i + 1`` to ``i + 2``; so ``CURRENT_VERSION`` is
``1 + len(MIGRATIONS)``. Version 1 is the initial schema documented in ``store/SCHEMA.md``.

A migration receives the raw TinyDB layout (``{table: {"<doc id>": doc}}``, ``_meta`` included)
and either mutates it in place and returns ``None`` or returns a replacement dict. It must not
touch ``_meta``: the store stamps the new version itself once all steps ran. The store runs the
steps that apply, in order, exactly once, under the cross-process lock, keeps a byte copy of
the pre-migration file beside it (``pickwise.json.v1-backup-<stamp>``) and writes the result
in one atomic write (after the run files, see ``per_run_files``); if any step raises, nothing on
disk changes.

Adding a migration: append a function, bump nothing else, describe the change under a new
"Version N" heading in SCHEMA.md, and add a test that feeds it a file of the previous version.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from store.storage import Tables

Migration = Callable[[Tables], "Tables | None"]



def per_run_files(tables: Tables) -> None:
    """Version 1 -> 2: ``samples`` and ``judgments`` move from the main file to one file per run.

    The documents themselves do not change, so this step has nothing to edit: the store moves any
    ``samples`` / ``judgments`` it finds in a main file, whatever its version, to their run files
    (``store.partitions``), run files first and the main file last, keeping every id. What the bump
    buys is the refusal: a version-1 Pickwise must not open a store whose samples it cannot see.
    """


#: Version N -> N+1 steps, oldest first.
MIGRATIONS: list[Migration] = [per_run_files]

CURRENT_VERSION: int = 1 + len(MIGRATIONS)

META_TABLE = "_meta"
META_DOC_ID = "1"


def current_version(migrations: Sequence[Migration]) -> int:
    """The version a store using ``migrations`` writes (injectable for tests)."""
    return 1 + len(migrations)


def declared_version(data: Any) -> int | None:
    """The version a parsed file says it has, read before its layout is checked; ``None`` if it says none.

    A newer Pickwise may lay out its tables differently, so the version must be readable from any
    JSON: only ``{"_meta": {"1": {"schema_version": <int>}}}`` counts, whatever else the file holds.
    """
    meta = data.get(META_TABLE) if isinstance(data, dict) else None
    doc = meta.get(META_DOC_ID) if isinstance(meta, dict) else None
    version = doc.get("schema_version") if isinstance(doc, dict) else None
    return version if type(version) is int else None


def read_version(tables: Tables) -> int | None:
    """The file's schema version; ``None`` for an empty file (a brand-new store).

    A non-empty file without ``_meta`` predates versioning and is the initial schema, version 1.
    Raises ``ValueError`` if ``_meta`` exists but holds no usable version.
    """
    meta = tables.get(META_TABLE)
    if meta is None:
        return None if not any(tables.values()) else 1
    version: Any = meta.get(META_DOC_ID, {}).get("schema_version")
    if type(version) is not int or version < 1:
        raise ValueError(f"_meta.schema_version is {version!r}, not a positive integer")
    return version


def stamp_version(tables: Tables, version: int) -> None:
    """Record ``version`` in ``_meta`` (the only document of that table, id 1)."""
    tables[META_TABLE] = {META_DOC_ID: {"schema_version": version}}


def new_tables(version: int) -> Tables:
    """The content of a brand-new store file."""
    tables: Tables = {}
    stamp_version(tables, version)
    return tables


def migrate(tables: Tables, from_version: int, migrations: Sequence[Migration]) -> Tables:
    """Run the steps from ``from_version`` up to the latest, in order, and stamp the version."""
    for index in range(from_version - 1, len(migrations)):
        result = migrations[index](tables)
        if result is not None:
            tables = result
    stamp_version(tables, current_version(migrations))
    return tables
