"""``cli.py grades export`` and ``grades import`` as a user runs them (subprocesses on a real store file): the
Grade page's spreadsheet round trip headless, bad rows listed and good rows kept, errors in one line."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

from core.grading import get_rubric, install_presets, quality_by_model
from core.paths import REPO_ROOT
from store import Store, queries
from store.records import Grade
from tests.test_grading_items import make_run


def _cli(store_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "cli.py", "--db", str(store_file), *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)


def _fill(sheet: Path, scores: dict[int, str], grader: str = "") -> str:
    """The exported sheet with data rows (1-based) scored on every criterion, as a grader saves it."""
    rows = list(csv.DictReader(io.StringIO(sheet.read_text(), newline="")))
    for number, score in scores.items():
        rows[number - 1]["helpfulness"] = score
        rows[number - 1]["grader"] = grader
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def test_export_fill_import_round_trip_keeps_good_rows_and_lists_bad_ones(store_file: Path, tmp_path: Path) -> None:
    store = Store(store_file)
    run_id = make_run(store, [("a:m", "capital", "Paris."), ("a:m", "haiku", "Leaves fall."),
                              ("b:m", "capital", "Lyon.")])
    sheet = tmp_path / "sheet.csv"
    exported = _cli(store_file, "grades", "export", "--run", run_id, "--out", str(sheet))
    assert exported.returncode == 0, exported.stderr
    assert f"Wrote 3 answers of run {run_id}" in exported.stdout and "helpfulness v1" in exported.stdout
    header = sheet.read_text().splitlines()[0]
    assert header == "item_id,prompt,response,reference,helpfulness,comment,run_id,rubric,rubric_version,grader"
    assert "a:m" not in sheet.read_text()  # blind

    filled = tmp_path / "filled.csv"
    filled.write_text(_fill(sheet, {1: "5", 2: "seven"}, grader="Ana"))
    imported = _cli(store_file, "grades", "import", str(filled))
    assert imported.returncode == 1  # a bad row: said, and the good row is kept
    assert imported.stderr == f"{filled}: row 3, column helpfulness: 'seven' is not a number; use a whole number " \
                              "from 1 to 5\n"
    assert imported.stdout.startswith(f"Stored 1 grades by Ana for run {run_id} (1 new, 0 replaced); 1 rows not "
                                      "graded yet; 1 bad rows left out")
    filled.write_text(_fill(sheet, {1: "4", 2: "2", 3: "1"}))
    again = _cli(store_file, "grades", "import", str(filled), "--grader", "Ben")
    assert again.returncode == 0, again.stderr
    assert "Stored 3 grades by Ben" in again.stdout
    grades = queries.find(Store(store_file), Grade, run_id=run_id)
    assert sorted(g.grader for g in grades) == ["Ana", "Ben", "Ben", "Ben"] and {g.source for g in grades} == {"csv"}
    rubric = get_rubric(Store(store_file), "helpfulness")
    a, _ = quality_by_model(Store(store_file), run_id, rubric)
    assert (a.n_scored, a.overall.n) == (2, 2)  # Ana and Ben on one answer: one answer


def test_grades_errors_are_one_line(store_file: Path, tmp_path: Path) -> None:
    store = Store(store_file)
    install_presets(store)
    run_id = make_run(store, [("a:m", "capital", "Paris.")])
    cases = [
        (("grades", "export", "--run", "nope", "--out", str(tmp_path / "x.csv")), "error: No run 'nope'"),
        (("grades", "export", "--run", run_id, "--rubric", "tone", "--out", str(tmp_path / "x.csv")),
         "error: No rubric 'tone' in this store (known: "),
        (("grades", "export", "--run", run_id, "--out", str(tmp_path / "no-such-dir" / "x.csv")), "error: "),
        (("grades", "import", str(tmp_path / "missing.csv")), "error: Cannot read the grades file"),
    ]
    plain = tmp_path / "plain.csv"
    plain.write_text("item_id,helpfulness\ni-1,4\n")
    cases.append((("grades", "import", str(plain)), "error: The sheet does not say which run and rubric"))
    sheet = tmp_path / "sheet.csv"
    assert _cli(store_file, "grades", "export", "--run", run_id, "--out", str(sheet)).returncode == 0
    unnamed = tmp_path / "unnamed.csv"
    unnamed.write_text(_fill(sheet, {1: "4"}))
    cases.append((("grades", "import", str(unnamed)), "error: Say who graded: pass --grader NAME"))
    for args, start in cases:
        result = _cli(store_file, *args)
        assert result.returncode == 1 and result.stderr.startswith(start), (args, result.stderr)
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
