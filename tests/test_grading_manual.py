"""Manual grading: blind seeded queue, resumable grades, CSV export/import with located problems."""

from __future__ import annotations

import csv
import io

import pytest

from core.grading.items import grading_items
from core.grading.manual import (
    RowProblem,
    blind_queue,
    export_annotation_csv,
    import_annotation_csv,
    record_grade,
)
from core.grading.presets import SUMMARY_FAITHFULNESS
from core.grading.rubric import save_rubric
from store import Store
from store.records import Table
from tests.test_grading_items import make_run

ANSWERS = [
    ("a:m", "capital", "Paris."),
    ("b:m", "capital", "=HYPERLINK(\"http://evil.example\", \"click\")"),
    ("a:m", "haiku", "+rain on leaves"),
    ("b:m", "haiku", "-soft rain"),
    ("c:m", "haiku", "@SUM(A1:A9)"),
    ("c:m", "capital", "It is Paris, of course."),
]


@pytest.fixture
def setup(store: Store) -> tuple[str, object]:
    return make_run(store, ANSWERS), save_rubric(store, SUMMARY_FAITHFULNESS)


def test_blind_queue_is_seeded_hides_models_and_resumes(store: Store, setup) -> None:
    run_id, rubric = setup
    queue = blind_queue(store, run_id, "ana", rubric, seed=7)
    assert (queue.done, queue.total, len(queue.remaining)) == (0, 6, 6)
    order = [i.item_id for i in queue.remaining]
    assert order == [i.item_id for i in blind_queue(store, run_id, "ana", rubric, seed=7).remaining]  # stable
    assert order != [i.item_id for i in grading_items(store, run_id)]  # shuffled, not sample order
    assert not hasattr(queue.remaining[0], "model_ref") and not hasattr(queue.remaining[0], "sample_id")

    record_grade(store, run_id, order[0], "ana", rubric, {"faithfulness": 4, "coverage": "3"}, "ok")
    resumed = blind_queue(store, run_id, "ana", rubric, seed=7)
    assert (resumed.done, [i.item_id for i in resumed.remaining]) == (1, order[1:])
    assert blind_queue(store, run_id, "ben", rubric, seed=7).done == 0  # per grader

    grade = store.find(Table.GRADES, run_id=run_id)[0]
    assert (grade["grader"], grade["rubric_name"], grade["rubric_version"]) == ("ana", "summary-faithfulness", 1)
    assert (grade["scores"], grade["comment"], grade["source"]) == ({"faithfulness": 4, "coverage": 3}, "ok", "app")
    assert grade["model_ref"] in {"a:m", "b:m", "c:m"}  # stored for results, never shown in the queue

    record_grade(store, run_id, order[0], "ana", rubric, {"faithfulness": 5, "coverage": 5})
    assert [g["scores"]["faithfulness"] for g in store.find(Table.GRADES, run_id=run_id)] == [5]  # replaced


def test_record_grade_names_every_bad_score(store: Store, setup) -> None:
    run_id, rubric = setup
    item_id = grading_items(store, run_id)[0].item_id
    with pytest.raises(ValueError, match=r"faithfulness: 6 is not a whole number from 1 to 5; coverage: no score"):
        record_grade(store, run_id, item_id, "ana", rubric, {"faithfulness": 6})
    with pytest.raises(ValueError, match="your name"):
        record_grade(store, run_id, item_id, " ", rubric, {"faithfulness": 3, "coverage": 3})
    assert store.count(Table.GRADES) == 0


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_export_is_blind_and_neutralises_formulas(store: Store, setup) -> None:
    run_id, rubric = setup
    rows = _rows(export_annotation_csv(store, run_id, rubric, seed=7))
    assert rows[0] == ["item_id", "prompt", "response", "reference", "faithfulness", "coverage", "comment",
                       "run_id", "rubric", "rubric_version", "grader"]
    assert [r[0] for r in rows[1:]] == [i.item_id for i in blind_queue(store, run_id, "x", rubric, seed=7).remaining]
    responses = {r[2] for r in rows[1:]}
    assert responses == {"Paris.", "'=HYPERLINK(\"http://evil.example\", \"click\")", "'+rain on leaves",
                         "'-soft rain", "'@SUM(A1:A9)", "It is Paris, of course."}
    assert all(r[4:] == ["", "", "", run_id, rubric.name, str(rubric.version), ""] for r in rows[1:])
    assert not any("a:m" in cell or "b:m" in cell for row in rows for cell in row)


def _fill(export: str, edits: dict[int, dict[str, str]], extra: list[list[str]] = ()) -> str:
    """The exported sheet with some data rows (1-based) filled in, as a grader would save it."""
    rows = _rows(export)
    header = rows[0]
    for number, values in edits.items():
        for column, value in values.items():
            rows[number][header.index(column)] = value
    out = io.StringIO()
    csv.writer(out).writerows([*rows, *extra])
    return out.getvalue()


def test_csv_round_trip_stores_good_rows_and_lists_bad_ones(store: Store, setup) -> None:
    run_id, rubric = setup
    export = export_annotation_csv(store, run_id, rubric)
    first_id = _rows(export)[1][0]
    filled = _fill(export, {
        1: {"faithfulness": "5", "coverage": "4", "comment": "=looks fine"},
        2: {"faithfulness": "4.0", "coverage": "2"},       # spreadsheets write 4 as 4.0
        3: {"faithfulness": "7", "coverage": "abc"},        # two problems, one row
        4: {"faithfulness": "3"},                           # coverage forgotten
        # row 6 (data row 5) left blank: not graded yet
        6: {"item_id": "", "faithfulness": "2", "coverage": "2"},
    }, extra=[[first_id, "", "", "", "1", "1", ""], ["i-000000000000", "", "", "", "3", "3", ""]])

    report = import_annotation_csv(store, run_id, "ana", rubric, filled)
    assert (report.added, report.replaced, report.blank_rows) == (2, 0, 1)
    assert report.problems == [
        RowProblem(4, "faithfulness", "7 is not a whole number from 1 to 5"),
        RowProblem(4, "coverage", "'abc' is not a number; use a whole number from 1 to 5"),
        RowProblem(5, "coverage", "no score given"),
        RowProblem(7, "item_id", "missing: keep the item_id column as exported"),
        RowProblem(8, "item_id", f"{first_id} was already graded on row 2"),
        RowProblem(9, "item_id", "'i-000000000000' is not an item of this run (from another run?)"),
    ]
    assert report.bad_rows == [4, 5, 7, 8, 9]
    assert str(report.problems[0]) == "row 4, column faithfulness: 7 is not a whole number from 1 to 5"
    grades = {g["item_id"]: g for g in store.find(Table.GRADES, run_id=run_id)}
    assert grades[first_id]["scores"] == {"faithfulness": 5, "coverage": 4}
    assert grades[first_id]["comment"] == "=looks fine" and grades[first_id]["source"] == "csv"

    again = import_annotation_csv(store, run_id, "ana", rubric, filled)  # re-import: replaces, no duplicates
    assert (again.added, again.replaced, len(again.problems)) == (0, 2, 6)
    assert store.count(Table.GRADES) == 2
    assert blind_queue(store, run_id, "ana", rubric).done == 2


def test_import_accepts_excel_flavours_and_reports_a_wrong_header(store: Store, setup) -> None:
    run_id, rubric = setup
    item_id = grading_items(store, run_id)[0].item_id
    excel = f"item_id;faithfulness;coverage;comment\r\n{item_id};4;5;fine\r\n".encode("utf-8-sig")
    assert import_annotation_csv(store, run_id, "ana", rubric, excel).added == 1
    report = import_annotation_csv(store, run_id, "ana", rubric, f"item_id,faithfulness\n{item_id},4\n")
    assert report.stored == 0
    assert [(p.row, p.column) for p in report.problems] == [(1, "coverage")]
    assert "column missing from the header row" in report.problems[0].message
    with pytest.raises(ValueError, match="not UTF-8"):
        import_annotation_csv(store, run_id, "ana", rubric, b"item_id,faithfulness\n\xff\xfe,4\n")


def test_non_finite_and_huge_cells_are_bad_rows_and_good_rows_are_kept(store: Store, setup) -> None:
    run_id, rubric = setup
    export = export_annotation_csv(store, run_id, rubric)
    huge = "4" * 20_000_000  # a 20 MB cell: pasted by mistake, or a hostile file
    filled = _fill(export, {
        1: {"faithfulness": "nan", "coverage": "4"},
        2: {"faithfulness": "inf", "coverage": "-Infinity"},
        3: {"faithfulness": "1e400", "coverage": "4"},
        4: {"faithfulness": "5", "coverage": "4", "comment": huge},
        5: {"faithfulness": "5", "coverage": "4"},
        6: {"faithfulness": "3", "coverage": "2"},
    })
    report = import_annotation_csv(store, run_id, "ana", rubric, filled)
    assert report.problems == [
        RowProblem(2, "faithfulness", "'nan' is not a finite number; use a whole number from 1 to 5"),
        RowProblem(3, "faithfulness", "'inf' is not a finite number; use a whole number from 1 to 5"),
        RowProblem(3, "coverage", "'-Infinity' is not a finite number; use a whole number from 1 to 5"),
        RowProblem(4, "faithfulness", "'1e400' is not a finite number; use a whole number from 1 to 5"),
        RowProblem(5, "comment", "20,000,000 characters; a cell holds at most 1,000,000: shorten it"),
    ]
    assert (report.added, report.bad_rows) == (2, [2, 3, 4, 5])
    assert store.count(Table.GRADES) == 2


def test_a_file_above_the_size_limit_is_refused_in_one_sentence(store: Store, setup) -> None:
    run_id, rubric = setup
    with pytest.raises(ValueError) as caught:
        import_annotation_csv(store, run_id, "ana", rubric, b"item_id,faithfulness,coverage\n" + b"x" * 33_000_000)
    assert str(caught.value) == ("The file is 33.0 MB; an annotation sheet may be at most 32 MB: "
                                 "import it in parts.")
    assert store.count(Table.GRADES) == 0



def test_a_sheet_says_its_origin_and_a_row_from_another_rubric_version_is_bad(store: Store, setup) -> None:
    from dataclasses import replace

    from core.grading.manual import SheetOrigin, sheet_origin

    run_id, rubric = setup
    export = export_annotation_csv(store, run_id, rubric)
    filled = _fill(export, {1: {"faithfulness": "4", "coverage": "4", "grader": "Cy"}})
    assert sheet_origin(filled) == SheetOrigin(run_id, rubric.name, rubric.version, "Cy")
    newer = save_rubric(store, replace(SUMMARY_FAITHFULNESS, description="sharper levels"))
    report = import_annotation_csv(store, run_id, "Cy", newer, filled)
    assert report.stored == 0 and [(p.row, p.column) for p in report.problems] == [(2, "rubric_version")]
    assert report.problems[0].message == (f"graded under {rubric.name} v{rubric.version}, not {newer.label}: "
                                          "import it with that version")
    with pytest.raises(ValueError, match="does not say which run and rubric it grades"):
        sheet_origin("item_id,faithfulness\n")
