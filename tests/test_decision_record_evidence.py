"""The decision record carries the evidence: for the chosen model and the runner-up, example answers (plain
text, escaped in every format) beside their grades, the judge's qualification verdict, and the exact
figures with their intervals and n; and nothing in the record contradicts the page's ranking table."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest

from core.decide.candidates import CandidateTable
from core.decide.decision import build_decision, compared_models, list_decisions
from core.decide.gaps import REMOTE
from core.decide.ranking import DIGITS, rank, ranking_frame
from core.decide.report import UNITS, to_csv, to_html, to_json, to_markdown
from core.decide.settings import SelectionSettings, default_criteria
from core.grading.examples import example_answers, model_examples
from core.grading.items import grading_items
from core.grading.manual import record_grade
from core.grading.presets import HELPFULNESS
from core.grading.rubric import save_rubric
from store import Store
from tests.test_decide_missing import ENDPOINT_CASE, HAND
from tests.test_grading_items import make_run
from tests.test_selection import cand

HOSTILE = "<script>alert(1)</script> [click](http://evil.example) **bold** =HYPERLINK(\"x\") \u202eevil"
GATE = {"qualified": True, "verdict": "The judge is qualified for helpfulness v1 in run r1: control accuracy 0.94 "
                                      "(95% CI 0.80-0.99, n=18).", "n_controls": 18, "accuracy": 0.94}
SOURCE = {"run_id": "r1", "rubric": "helpfulness v1", "judge": "foundry-local:judge:1",
          "qualification": {"r1": GATE}}
ANSWER = {"run_id": "r1", "item_id": "i-1", "prompt_id": "p1", "prompt": "Say hi " + HOSTILE,
          "response": "Line one " + HOSTILE + "\n# not a heading", "response_chars": 80, "truncated": False,
          "grade": {"scores": {"helpfulness": 4.0}, "overall": 4.0, "graded_by": "judge foundry-local:judge:1, "
                    "helpfulness v1", "n_graders": 1, "note": "Direct, but " + HOSTILE}}
FOUR = CandidateTable((cand("a:x", 1.0, 10, 3.0), cand("b:y", 2.0, 30, 4.0), cand("c:z", 3.0, 20, 5.0),
                       cand("d:w", 1.5, 15, None, memory=None)))


def _examples(refs):
    return {ref: [ANSWER] for ref in refs}


def _record(table: CandidateTable, settings: SelectionSettings, **kw: Any) -> dict[str, Any]:
    return build_decision(table, settings, title="Pick", draws=200, quality_source=SOURCE, examples=_examples,
                          decided_on="2026-03-02", **kw)


CASES = [
    (FOUR, SelectionSettings(criteria=default_criteria({"latency": 30, "throughput": 30, "quality": 40}))),
    (ENDPOINT_CASE, SelectionSettings(criteria=default_criteria(), missing_data="fill", entered=HAND)),
    (ENDPOINT_CASE, SelectionSettings(criteria=default_criteria(), missing_data="drop", latency_stat="p95")),
]


def _figure(value: float, key: str) -> str:
    return f"{value:,.{DIGITS[key]}f}{UNITS[key]}"


def _md_tables(text: str) -> list[list[list[str]]]:
    tables, rows = [], []
    for line in text.splitlines() + [""]:
        if line.startswith("| "):
            rows.append([c.strip().replace("\\", "") for c in line.strip("|").split(" | ")])
        elif rows:
            tables.append([r for r in rows if set("".join(r)) != {"-"}])
            rows = []
    return tables


@pytest.mark.parametrize("table,settings", CASES)
def test_nothing_in_the_record_contradicts_the_ranking_table(table: CandidateTable, settings: SelectionSettings):
    """The page's table (``ranking_frame``) against every export: same order, same figures, same intervals
    and n, wherever the record states a ranked model's figure (options, chosen and runner-up, consequences)."""
    page = ranking_frame(rank(table, settings))
    record = _record(table, settings)
    markdown, html = to_markdown(record), to_html(record, chromium=None)
    options = next(t for t in _md_tables(markdown) if t[0][:3] == ["rank", "model", "score /100"])
    assert [row[1] for row in options[1:]] == list(page["model"])  # same order
    assert [row[2] for row in options[1:]] == [f"{s:,.1f}" for s in page["score"]]
    keys = [k for k in record["weights_applied"] if record["weights_applied"][k] > 0]
    for (_, row), cells in zip(page.iterrows(), options[1:], strict=True):
        for key, cell in zip(keys, cells[3:], strict=True):
            assert cell.startswith(f"{_figure(row[f'{key} value'], key)} ({row[f'{key} n, 95% CI']}); "
                                   f"{row[f'{key} points']:,.1f} pts".split("; ")[0]), (key, cell)
    by_model = page.set_index("model")
    for ref, role in compared_models(rank(table, settings), record["chosen"]):
        block = markdown.split(f"### {ref} ({role}, rank ")[1]
        figures = next(t for t in _md_tables(block) if t[0] == ["criterion", "figure (n, 95% CI)"])
        for key, (_, cell) in zip(record["ranked"][0]["values"], figures[1:], strict=True):
            value = by_model.loc[ref, f"{key} value"]
            why = by_model.loc[ref, f"{key} n, 95% CI"]
            expected = why if value is None or value != value else f"{_figure(value, key)} ({why})"
            assert cell == expected.replace("\\", ""), (ref, key, cell)
    chosen = by_model.loc[record["chosen"]]
    consequences = markdown.split("## Consequences")[1].split("## Evidence")[0].replace("\\", "")
    for key, word in (("memory", "memory"), ("footprint", "disk")):
        value = chosen[f"{key} value"]
        said = re.search(rf"{word} ([\d,.]+ MB|missing: [^,]+)", consequences).group(1)
        assert said == (chosen[f"{key} n, 95% CI"] if value is None or value != value else _figure(value, key))
    rows = list(csv.DictReader(io.StringIO(to_csv(record))))
    ranked_rows = [r for r in rows if r["status"] == "ranked"]
    assert [r["model"] for r in ranked_rows] == list(page["model"])
    for r, (_, row) in zip(ranked_rows, page.iterrows(), strict=True):
        assert float(r["score"]) == pytest.approx(row["score"], abs=1e-6)
        for key in record["weights_applied"]:
            value = row[f"{key} value"]
            assert (r[f"{key}_value"] == "") == (value is None or value != value)
            if r[f"{key}_value"]:
                assert float(r[f"{key}_value"]) == pytest.approx(value, abs=1e-6)
    assert [m["ref"] for m in json.loads(to_json(record))["ranked"]] == list(page["model"])
    assert "rank 1" in html and record["chosen"] in html


def test_the_chosen_model_and_the_runner_up_show_example_answers_escaped_in_every_format():
    table, settings = CASES[0]
    record = _record(table, settings)
    assert [(e["ref"], e["role"]) for e in record["evidence"]["examples"]] == compared_models(
        rank(table, settings), record["chosen"])
    assert len(record["evidence"]["examples"]) == 2
    markdown = to_markdown(record)
    assert markdown.count("**Answer:**") == 2 and "**Grade:** helpfulness 4; overall 4.00 / 5" in markdown
    assert "<script>" not in markdown and "[click](" not in markdown and "\u202e" not in markdown
    assert "\\<script\\>" in markdown and "\\<U+202E\\>evil" in markdown and "\n> \\# not a heading" in markdown
    assert "http://evil" not in markdown  # no bare link a Markdown viewer would make live (a word joiner breaks it)
    html = to_html(record, chromium=None)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "\u202e" not in html
    assert "The judge&#x27;s rationale" in html or "The judge's rationale" in html
    assert "<strong>Judge qualification in run r1:</strong> The judge is qualified for helpfulness v1" in html
    assert "<blockquote>Line one &lt;script&gt;" in html  # the answer quoted apart from the record's words
    exported = json.loads(to_json(record))
    assert exported["evidence"]["examples"][0]["answers"][0]["response"] == ANSWER["response"]  # verbatim
    assert "\u202e" not in to_json(record) and "\\u202e" in to_json(record)
    assert "HYPERLINK" not in to_csv(record)  # the CSV is the scored table: no answers in it


def test_examples_come_from_the_grades_of_the_quality_source_lowest_middle_highest(store: Store):
    answers = [("a:m", f"p{i}", f"answer {i} <b>") for i in range(5)] + [("b:m", "p0", "other")]
    run_id = make_run(store, answers, prompts=[{"id": f"p{i}", "prompt": f"Q{i}?"} for i in range(5)])
    rubric = save_rubric(store, HELPFULNESS)
    items = {i.prompt_id: i.item_id for i in grading_items(store, run_id) if i.model_ref == "a:m"}
    for prompt_id, score in (("p0", 2), ("p1", 5), ("p2", 3), ("p3", 1)):  # p4 not graded
        record_grade(store, run_id, items[prompt_id], "ann", rubric, {"helpfulness": score})
    source = {"run_id": run_id, "rubric": rubric.label, "judge": "people"}
    shown = model_examples(store, run_id, "a:m", source)
    assert [(e["prompt_id"], e["grade"]["overall"]) for e in shown] == [("p3", 1.0), ("p2", 3.0), ("p1", 5.0)]
    assert shown[0]["response"] == "answer 3 <b>" and shown[0]["grade"]["graded_by"] == "people, helpfulness v1"
    ungraded = example_answers(store, source, {"b:m": run_id}, ["b:m"])["b:m"]
    assert [(e["response"], e["grade"]) for e in ungraded] == [("other", None)]
    none = example_answers(store, None, {"a:m": run_id}, ["a:m"])["a:m"]
    assert [e["prompt_id"] for e in none] == ["p0", "p1", "p2"] and not any(e["grade"] for e in none)


def test_the_decide_page_says_why_a_cell_is_empty_and_records_the_examples(app_store):
    """Endpoints have no memory or disk figure: the ranking and the model details say why; the decision
    recorded on the page carries both models' example answers beside the person's grades."""
    from tests.test_app_decide import _people_graded

    at, run_id = _people_graded(app_store)
    assert not at.exception
    ranked = next(d.value for d in at.dataframe if "score" in d.value.columns).set_index("model")
    assert ranked.loc["fast:fake-model", "memory n, 95% CI"] == "missing: " + REMOTE
    details = next(d.value for d in at.dataframe if "size in use" in d.value.columns).set_index("model")
    assert details.loc["slow:fake-model", "size in use"].startswith("unknown: not measurable for a remote endpoint")
    assert details.loc["slow:fake-model", "license in use"] == "unknown: type it in the license column"
    at.text_input(key="d-makers").input("Ana")
    next(b for b in at.button if b.label == "Record decision").click()
    at.run()
    assert not at.exception and not at.error
    [decision] = list_decisions(Store(app_store))
    examples = decision.as_dict()["evidence"]["examples"]
    assert [(e["ref"], e["role"]) for e in examples] == [("fast:fake-model", "chosen"),
                                                         ("slow:fake-model", "runner-up")]
    assert all(a["grade"]["graded_by"] == "people, helpfulness v1" and a["run_id"] == run_id
               for e in examples for a in e["answers"]) and all(e["answers"] for e in examples)
    assert [a["grade"]["overall"] for a in examples[0]["answers"]] == [4.0] * len(examples[0]["answers"])
    assert "device unknown (not reported by a remote endpoint)" in to_markdown(decision.as_dict()).replace("\\", "")
