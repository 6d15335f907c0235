"""``core/`` reads by step, and its imports run one way: shared modules, workers, then engines, models,
benchmark, then compare, grading and decide, which never import each other (the pages and the CLI join them).

Also the conversion venv's contract: it runs ``core.models.default_model.worker`` (and the tests' tiny-model
worker) with none of the app's packages installed, so they and every package ``__init__`` on their way
import only the standard library at module level. Checked on the source with ``ast``.
"""

from __future__ import annotations

import ast
import re
import sys

from core.paths import REPO_ROOT
from tests.test_store_layering import imported_modules

CORE = REPO_ROOT / "core"
RANK = {"shared": 0, "workers": 1, "engines": 2, "models": 3, "benchmark": 4, "compare": 5, "grading": 5, "decide": 5}


def layer(module: str) -> str:
    """``shared`` for ``core/*.py``, else the step package ``core.<package>`` the module belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and (CORE / parts[1]).is_dir() else "shared"


def test_every_core_package_has_a_rank() -> None:
    packages = {p.name for p in CORE.iterdir() if (p / "__init__.py").is_file()}
    assert packages == set(RANK) - {"shared"}


def test_core_imports_run_down_the_steps_only() -> None:
    wrong = []
    for path in sorted(CORE.rglob("*.py")):
        here = layer(".".join(path.relative_to(REPO_ROOT).with_suffix("").parts))
        for name in imported_modules(path):
            if name.split(".")[0] == "core" and name != "core":
                there = layer(name)
                if there != here and RANK[there] >= RANK[here]:
                    wrong.append(f"{path.relative_to(REPO_ROOT)} ({here}) imports {name} ({there})")
    assert wrong == []


def test_what_the_conversion_venv_imports_is_standard_library_only() -> None:
    on_the_way = [CORE / "__init__.py", CORE / "models" / "__init__.py",
                  CORE / "models" / "default_model" / "__init__.py"]
    workers = [CORE / "models" / "default_model" / "worker.py", REPO_ROOT / "tests" / "tiny_model_worker.py"]
    found = {path.relative_to(REPO_ROOT).as_posix(): sorted(
        name for name in imported_modules(path, module_level_only=True)
        if name.split(".")[0] not in sys.stdlib_module_names) for path in on_the_way + workers}
    assert {path: names for path, names in found.items() if names} == {}


def test_each_package_docstring_is_its_table_of_contents() -> None:
    """One ``* ``name`` what it holds`` line per module and subpackage, no more and no less."""
    stale = {}
    for init in sorted(CORE.rglob("__init__.py")):
        folder = init.parent
        listed = set(re.findall(r"^\* ``([a-z_]+)/?``", ast.get_docstring(ast.parse(init.read_text())) or "", re.M))
        present = {p.stem for p in folder.glob("*.py") if p.name != "__init__.py"}
        present |= {p.name for p in folder.iterdir() if (p / "__init__.py").is_file()}
        if listed != present:
            stale[init.relative_to(REPO_ROOT).as_posix()] = {"missing": sorted(present - listed),
                                                             "gone": sorted(listed - present)}
    assert stale == {}
