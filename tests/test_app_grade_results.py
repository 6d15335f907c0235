"""The Grade page's Results tab through AppTest, over a real store: quality counts answers (several people
on one answer count once), intervals or "too few", and people's agreement with each other."""

from __future__ import annotations

from pathlib import Path

from core.grading import get_rubric, grading_items, install_presets, record_grade
from store import Store
from tests.conftest import open_app
from tests.test_app_grade import _open, _table, _texts
from tests.test_grading_items import make_run

PROMPTS = [{"id": f"p{n}", "prompt": f"Question {n}?"} for n in range(4)]


def test_results_count_answers_show_intervals_and_people_agreement(app_store: Path) -> None:
    store = Store(app_store)
    install_presets(store)
    run_id = make_run(store, [("a:m", f"p{n}", f"answer {n}") for n in range(4)]
                      + [("b:m", f"p{n}", f"other {n}") for n in range(2)], prompts=PROMPTS)
    rubric = get_rubric(store, "helpfulness")
    items = sorted(grading_items(store, run_id), key=lambda i: (i.model_ref, i.prompt_id))
    a_items, b_items = items[:4], items[4:]
    for item, score in zip(a_items[:3], (5, 4, 2), strict=True):  # three of a's four answers, by two people
        for grader, shift in (("ana", 0), ("ben", -1 if score == 5 else 0)):
            record_grade(store, run_id, item.item_id, grader, rubric, {"helpfulness": score + shift})
    for grader in ("ana", "ben", "cy"):  # one of b's answers, by three people
        record_grade(store, run_id, b_items[0].item_id, grader, rubric, {"helpfulness": 1})

    at = _open(open_app("app_pages/grade.py").run(), "Results")
    assert not at.exception, at.exception
    quality = _table(at, "overall").set_index("model")
    a, b = quality.loc["a:m"], quality.loc["b:m"]
    assert (a["answers"], a["scored"], a["not graded yet"]) == (4, 3, 1)
    assert a["overall"] == round((4.5 + 4 + 2) / 3, 2)  # per answer first: ana and ben's 5 and 4 are one 4.5
    low, high = (float(x) for x in a["overall 95% CI"].split("–"))
    assert 1.0 <= low < a["overall"] < high <= 5.0
    assert (b["answers"], b["scored"], b["not graded yet"], b["overall"]) == (2, 1, 1, 1.0)  # never "0 not graded"
    assert b["overall 95% CI"] == "too few answers for an interval (n=1, need 3)"
    assert "Do people agree with each other?" in _texts(at.subheader)
    assert "Too few answers graded by two or more people (4; at least 10" in _texts([*at.info, *at.warning])
    assert "3 people graded this run" in _texts(at.caption)
