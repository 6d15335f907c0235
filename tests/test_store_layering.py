"""The store is the bottom layer: nothing in ``store/`` imports ``core`` (or anything else of Pickwise).

Checked on the source with ``ast``, so an import hidden in a function body counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

from core.paths import REPO_ROOT

APP_PACKAGES = {"core", "components", "app_pages", "cli", "app"}


def imported_modules(path: Path, *, module_level_only: bool = False) -> set[str]:
    """Every module ``path`` imports (inside functions too, unless ``module_level_only``)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in tree.body if module_level_only else ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_no_module_in_store_imports_core_or_the_app() -> None:
    modules = sorted((REPO_ROOT / "store").glob("*.py"))
    assert modules
    offending = {
        path.name: sorted(name for name in imported_modules(path) if name.split(".")[0] in APP_PACKAGES)
        for path in modules
    }
    assert {name: found for name, found in offending.items() if found} == {}
