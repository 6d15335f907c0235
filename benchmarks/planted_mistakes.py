"""Does the suite catch the statistical mistakes issue 12 listed? Plant each one, run its tests, expect red.

Each mistake is one textual edit of one source file. The edit must match exactly once, so a refactor
that moves the code makes this script fail loudly instead of passing vacuously. The edits are made in a
throw-away copy of the tracked files (uncommitted edits included), never in the checkout itself, and the
named test files run with ``pytest -x``. A mistake is *caught* when pytest exits non-zero.

    .venv/bin/python benchmarks/planted_mistakes.py [--json]

It takes about a minute and a half (ten pytest runs); the results go to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Mistake:
    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


MISTAKES = (
    Mistake("20 bootstrap resamples instead of 2,000", "core/intervals.py",
            "N_BOOT = 2000", "N_BOOT = 20", ("tests/test_intervals.py", "tests/test_metrics.py")),
    Mistake("an 80% interval labelled 95%", "core/intervals.py",
            "LEVEL = 0.95", "LEVEL = 0.80", ("tests/test_intervals.py", "tests/test_metrics.py")),
    Mistake("the good-kappa threshold moved (0.6 -> 0.65)", "core/grading/agreement.py",
            "Scale(((0.6, \"good\")", "Scale(((0.65, \"good\")",
            ("tests/test_grading_thresholds.py", "tests/test_grading_agreement.py")),
    Mistake("the good-kappa threshold moved (0.6 -> 0.55)", "core/grading/agreement.py",
            "Scale(((0.6, \"good\")", "Scale(((0.55, \"good\")",
            ("tests/test_grading_thresholds.py", "tests/test_grading_agreement.py")),
    Mistake("a speed-up interval from one device's spread only", "core/compare/ratios.py",
            "float(logs.std(ddof=1))", "float(np.log([cand[key] for key in shared]).std(ddof=1))",
            ("tests/test_compare_paired_stats.py", "tests/test_compare.py")),
    Mistake("an arithmetic instead of a geometric mean in the paired ratio", "core/compare/ratios.py",
            "return Ratio(math.exp(centre),", "return Ratio(float(np.mean(np.exp(logs))),",
            ("tests/test_compare_paired_stats.py", "tests/test_compare.py")),
    Mistake("the Dirichlet concentration changed (50 -> 40)", "core/decide/sensitivity.py",
            "CONCENTRATION = 50.0", "CONCENTRATION = 40.0", ("tests/test_decide_noise.py", "tests/test_selection.py")),
    Mistake("the number of draws changed (2,000 -> 1,000)", "core/decide/sensitivity.py",
            "DRAWS = 2000", "DRAWS = 1000", ("tests/test_decide_noise.py", "tests/test_selection.py")),
    Mistake("Pareto: two models equal on both axes dominate each other", "core/decide/pareto.py",
            "and (oq > q or olat < lat)", "", ("tests/test_selection.py", "tests/test_formulas_properties.py")),
)


def _copy_tree(dest: Path) -> None:
    """The tracked files as they are in the working tree (uncommitted edits included)."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def _plant(tree: Path, mistake: Mistake) -> str:
    path = tree / mistake.path
    original = path.read_text()
    if original.count(mistake.old) != 1:
        raise SystemExit(f"{mistake.path}: the text to change for {mistake.name!r} is not there exactly once; "
                         "update this script to the code as it is now.")
    path.write_text(original.replace(mistake.old, mistake.new))
    return original


def check(mistake: Mistake, tree: Path) -> dict:
    original = _plant(tree, mistake)
    started = time.perf_counter()
    try:
        result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                                 "-m", "not slow", *mistake.tests], cwd=tree, capture_output=True, text=True)
    finally:
        (tree / mistake.path).write_text(original)
    failed = [line.split(" ", 1)[1].split(" - ")[0] for line in result.stdout.splitlines()
              if line.startswith("FAILED ")]
    return {"mistake": mistake.name, "caught": result.returncode != 0, "failed_test": failed[0] if failed else None,
            "seconds": round(time.perf_counter() - started, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp)
        _copy_tree(tree)
        clean = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not slow",
                                *sorted({t for m in MISTAKES for t in m.tests})], cwd=tree, capture_output=True)
        if clean.returncode != 0:
            raise SystemExit("The tests fail without any planted mistake; fix them first.")
        results = [check(m, tree) for m in MISTAKES]
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for r in results:
        verdict = "caught" if r["caught"] else "MISSED"
        print(f"{verdict:6}  {r['mistake']}  ({r['failed_test'] or '-'}, {r['seconds']} s)")
    if not all(r["caught"] for r in results):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
