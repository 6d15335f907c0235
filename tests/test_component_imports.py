"""Components take data, never the store: the layering rule, checked on the source with ``ast``.

A component that imports ``store`` (or fetches it through ``components.state``) can query it while it
draws, and then following the data means climbing back up through every widget. Pages read state and
call core; components receive records, frames, lists and callbacks. The records' module,
``store.records``, is the data contract (pydantic models and the table names; it opens no file and
imports nothing else of the store), so a component may import it to name what it draws; nothing else
of ``store``. ``components/state.py`` is the one exception by design: it is not a component but the
app's process-wide resources (it opens the store once per server process), and only pages call its
``get_store``.
"""

from __future__ import annotations

import ast
from pathlib import Path

from core.paths import REPO_ROOT

COMPONENTS = REPO_ROOT / "components"
RESOURCES = COMPONENTS / "state.py"


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """``(module, imported names)`` for every import statement anywhere in the file (also inside functions)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


DATA_CONTRACT = "store.records"


def _reaches_store(module: str, names: list[str]) -> bool:
    return (module == "store" or (module.startswith("store.") and module != DATA_CONTRACT)
            or (module == "components.state" and "get_store" in names))


def test_no_component_imports_the_store() -> None:
    offenders = {
        path.relative_to(REPO_ROOT).as_posix(): module
        for path in sorted(COMPONENTS.glob("*.py")) if path != RESOURCES
        for module, names in _imports(path) if _reaches_store(module, names)
    }
    assert offenders == {}, "components must receive data and callbacks from their page, not the store"


def test_the_check_sees_an_import_of_the_store(tmp_path: Path) -> None:
    """The rule's own fixture: each way of reaching the store is caught, an unrelated import is not."""
    sample = tmp_path / "widget.py"
    sample.write_text("import os\nfrom store import Store\nimport store.db\nfrom store.records import Run, Table\n"
                      "def f():\n    from components.state import get_store\n")
    assert [m for m, names in _imports(sample) if _reaches_store(m, names)] == ["store", "store.db",
                                                                             "components.state"]


def test_the_data_contract_components_may_import_reaches_no_store() -> None:
    """``store.records`` is allowed because it holds data definitions only: the only other store module it
    imports is ``store.errors`` (exception types, for an unreadable record)."""
    contract = REPO_ROOT / "store" / "records.py"
    assert [m for m, _ in _imports(contract) if m == "store" or m.startswith("store.")] == ["store.errors"]
