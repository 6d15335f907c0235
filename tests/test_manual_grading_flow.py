"""Manual grading moves on: after "Save and next" the next answer comes up, and "Undo last grade" takes the
newest saved grade back and shows that answer again with its scores filled in (core and page, AppTest)."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.grading.manual import blind_queue, last_grade, record_grade, undo_last_grade
from core.grading.presets import SUMMARY_FAITHFULNESS
from core.grading.rubric import save_rubric
from store import Store
from store.records import Table
from tests.conftest import open_app
from tests.test_grading_items import make_run

ANSWERS = [("a:m", "capital", "The capital of France is Paris."), ("b:m", "capital", "Lyon, I think."),
           ("a:m", "haiku", "Soft rain on the roof"), ("b:m", "haiku", "Rain rain rain.")]


def test_undo_takes_back_the_graders_newest_app_grade_and_brings_its_answer_first(store: Store) -> None:
    run_id = make_run(store, ANSWERS)
    rubric = save_rubric(store, SUMMARY_FAITHFULNESS)
    order = [i.item_id for i in blind_queue(store, run_id, "ann", rubric).remaining]
    assert last_grade(store, run_id, "ann", rubric) is None and undo_last_grade(store, run_id, "ann", rubric) is None
    for item_id in order[:3]:
        record_grade(store, run_id, item_id, "ann", rubric, {"faithfulness": 4, "coverage": 2}, "ok")
    record_grade(store, run_id, order[0], "bob", rubric, {"faithfulness": 1, "coverage": 1})  # someone else
    record_grade(store, run_id, order[0], "ann", rubric, {"faithfulness": 5, "coverage": 5})  # ann regrades #0

    undone = undo_last_grade(store, run_id, "ann", rubric)
    assert undone is not None and (undone.item_id, undone.scores) == (order[0], {"faithfulness": 5, "coverage": 5})
    queue = blind_queue(store, run_id, "ann", rubric, first=undone.item_id)
    assert [i.item_id for i in queue.remaining] == [order[0], order[3]] and queue.done == 2
    assert [i.item_id for i in blind_queue(store, run_id, "ann", rubric).remaining] == [order[0], order[3]]
    assert undo_last_grade(store, run_id, "ann", rubric).item_id == order[2]  # then the one before
    assert [g["grader"] for g in store.find(Table.GRADES, item_id=order[0])] == ["bob"]  # bob's grade stays


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def _shown_item(at: AppTest) -> str:
    return re.search(r"Answer `(i-[0-9a-f]+)`", _texts(at.caption)).group(1)


def _progress(at: AppTest) -> str:
    return " ".join(p.proto.text for p in at.get("progress"))


def test_save_moves_on_and_undo_goes_back_to_the_graded_answer_prefilled(app_store: Path, store_file: Path) -> None:
    make_run(Store(store_file), ANSWERS)
    at = open_app("app_pages/grade.py")
    at.session_state["grade-tab"] = "Manual"
    at.run()
    at.text_input(key="grade-grader").input("ann").run()
    assert not [b for b in at.button if b.key == "grade-undo"]  # nothing saved yet, nothing to undo
    first = _shown_item(at)
    at.radio[0].set_value(4)
    at.text_area[0].input("clear enough")
    next(b for b in at.button if b.label == "Save and next").click().run()
    assert not at.exception and _progress(at) == "1 of 4 graded"
    second = _shown_item(at)
    assert second != first, "after Save the page must show the next answer"
    assert at.radio[0].value is None and at.text_area[0].value == ""  # a fresh form for the next answer
    assert f"Saved answer {first}: Helpfulness 4." in _texts(at.caption).replace("\\-", "-")

    at.button(key="grade-undo").click().run()
    assert not at.exception and _progress(at) == "0 of 4 graded"
    assert _shown_item(at) == first, "undo goes back to the answer it took the grade from"
    assert at.radio[0].value == 4 and at.text_area[0].value == "clear enough"  # what was saved, to adjust
    assert Store(store_file).find(Table.GRADES) == []
    assert not [b for b in at.button if b.key == "grade-undo"]

    at.radio[0].set_value(3)
    next(b for b in at.button if b.label == "Save and next").click().run()
    assert _progress(at) == "1 of 4 graded" and _shown_item(at) == second
    assert [g["scores"] for g in Store(store_file).find(Table.GRADES)] == [{"helpfulness": 3}]
