"""The Grade page's Results tab through AppTest, over a real store: quality counts answers (several people
on one answer count once), intervals or "too few", and people's agreement with each other."""

from __future__ import annotations

from pathlib import Path

from core.grading import get_rubric, grading_items, install_presets, record_grade
from store import Store, queries
from store.records import Judgment
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


def test_results_call_a_quality_tie_and_give_every_agreement_figure_its_n_and_interval(app_store: Path) -> None:
    """Two models close on quality (overlapping intervals) read as a statistical tie, a clearly worse one is
    ordered below; the judge-vs-people table shows answers and a 95% interval per figure (issue 12)."""
    store = Store(app_store)
    install_presets(store)
    prompts = [{"id": f"p{n}", "prompt": f"Question {n}?"} for n in range(12)]
    run_id = make_run(store, [(ref, f"p{n}", f"{ref} answer {n}") for ref in ("a:m", "b:m", "c:m") for n in range(12)],
                      prompts=prompts)
    rubric = get_rubric(store, "helpfulness")
    assert rubric is not None
    people = {"a:m": [5, 4, 5, 4, 5, 5, 4, 5, 4, 5, 5, 4], "b:m": [4, 5, 4, 5, 4, 4, 5, 4, 5, 4, 4, 5],
              "c:m": [1, 2, 1, 1, 2, 1, 1, 2, 1, 1, 2, 1]}
    judge = {"a:m": [5, 4, 4, 4, 5, 5, 3, 5, 4, 5, 4, 4], "b:m": [4, 5, 3, 5, 4, 4, 5, 4, 4, 4, 4, 5],
             "c:m": [2, 2, 1, 1, 2, 1, 2, 2, 1, 1, 2, 1]}
    items = sorted(grading_items(store, run_id), key=lambda i: (i.model_ref, int(i.prompt_id[1:])))
    rows = []
    for item in items:
        n = int(item.prompt_id[1:])
        record_grade(store, run_id, item.item_id, "ana", rubric, {"helpfulness": people[item.model_ref][n]})
        rows.append(Judgment.build(
            {"run_id": run_id, "item_id": item.item_id, "sample_id": item.sample_id, "model_ref": item.model_ref,
             "prompt_id": item.prompt_id, "judge_ref": "judge:m", "rubric_name": rubric.name,
             "rubric_version": rubric.version, "status": "scored", "scores": {"helpfulness": judge[item.model_ref][n]},
             "response_chars": 10, "raw_replies": ["{}"], "created_at": "2026-03-01T10:00:02+00:00"}))
    queries.insert_many(store, rows)

    at = _open(open_app("app_pages/grade.py").run(), "Results")
    assert not at.exception, at.exception
    said = _texts(at.markdown)
    assert "Statistical tie on quality between `a:m` and `b:m`" in said
    assert "`b:m` scores higher on quality than `c:m`" in said
    agreement = _table(at, "weighted kappa").set_index("criterion")
    pooled = agreement.loc["all criteria (pooled)"]
    assert pooled["answers"] == 36
    low, high = (float(x) for x in pooled["kappa 95% CI"].split(" to "))
    assert -1 <= low < float(pooled["weighted kappa"]) < high <= 1
    assert " to " in pooled["Spearman 95% CI"]
    verdict = _texts([*at.success, *at.info, *at.warning])
    assert f"95% CI {low:.2f} to {high:.2f}, n=36)" in verdict
