"""Example answers for a decision record: what the chosen model and the runner-up actually wrote, beside
the grades those answers got.

Figures say how good a model is on average; two or three of its answers let a reader of the record see
what that means. Which answers: of a model's answers graded by the decision's quality source (the judge
or people, under the rubric version the record names, in the run its quality came from), the lowest, the
middle and the highest scored, so the examples show the range rather than the best case; ties broken by
prompt and item id, so the same store always gives the same examples. A model without grades from that
source shows its first answers, each marked *not graded*, so an example never looks graded when it was not.

An answer is model output, i.e. untrusted text: it is kept here verbatim (up to ``MAX_CHARS``, then cut
with the full length said), and each export escapes it where it becomes markup (``core.decide.report``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from core.grading.items import GradingItem, grading_items
from core.grading.results import AnswerScore, scored_answers
from core.grading.rubric import get_rubric
from store import Store, queries
from store.records import Judgment

PER_MODEL = 3
MAX_CHARS = 1_500  # enough to judge an answer by; a longer one is cut, and the record says how long it was
_LABEL = re.compile(r"^(?P<name>.+) v(?P<version>\d+)$")  # ``Rubric.label``: ``helpfulness v3``


def _spread(answers: list[AnswerScore], k: int) -> list[AnswerScore]:
    """Up to ``k`` answers from lowest to highest overall score: lowest, middle, highest (for ``k`` = 3)."""
    ordered = sorted(answers, key=lambda a: (a.overall, a.item_id))
    if len(ordered) <= k:
        return ordered
    picks = sorted({round(i * (len(ordered) - 1) / (k - 1)) for i in range(k)}) if k > 1 else [0]
    return [ordered[i] for i in picks]


def _cut(text: str) -> tuple[str, bool]:
    return (text, False) if len(text) <= MAX_CHARS else (text[:MAX_CHARS].rstrip() + " …", True)


def _judge_notes(store: Store, run_id: str, judge_ref: str, item_ids: set[str]) -> dict[str, str]:
    """The judge's rationale per item (its newest scored verdict), shown beside the score it explains."""
    notes: dict[str, str] = {}
    for j in queries.find(store, Judgment, run_id=run_id, judge_ref=judge_ref):
        if j.item_id in item_ids and j.status == "scored" and j.rationale.strip():
            notes[j.item_id] = j.rationale.strip()
    return notes


def _example(item: GradingItem, answer: AnswerScore | None, graded_by: str, note: str | None) -> dict[str, Any]:
    response, cut = _cut(item.response)
    grade = None if answer is None else {
        "scores": {k: round(v, 2) for k, v in answer.scores.items()}, "overall": round(answer.overall, 2),
        "graded_by": graded_by, "n_graders": answer.n_graders, "note": _cut(note)[0] if note else None}
    return {"run_id": item.run_id, "item_id": item.item_id, "prompt_id": item.prompt_id, "prompt": _cut(item.prompt)[0],
            "response": response, "response_chars": len(item.response), "truncated": cut, "grade": grade}


def model_examples(store: Store, run_id: str, ref: str, source: Mapping[str, Any] | None,
                   k: int = PER_MODEL) -> list[dict[str, Any]]:
    """Up to ``k`` of ``ref``'s answers in ``run_id`` with the grades ``source`` (a record's
    ``evidence.quality_source``: ``rubric`` label and ``judge``, a judge ref or ``people``) gave them."""
    items = [i for i in grading_items(store, run_id) if i.model_ref == ref]
    match = _LABEL.match((source or {}).get("rubric") or "")
    rubric = get_rubric(store, match["name"], int(match["version"])) if match else None
    judge = (source or {}).get("judge")
    if rubric is None or not judge:
        return [_example(i, None, "", None) for i in sorted(items, key=lambda i: (i.prompt_id, i.item_id))[:k]]
    judge_ref = None if judge == "people" else judge
    by_item = {i.item_id: i for i in items}
    answers = _spread([a for a in scored_answers(store, run_id, rubric, judge_ref=judge_ref) if a.item_id in by_item],
                      k)
    graded_by = f"{'people' if judge_ref is None else 'judge ' + judge_ref}, {rubric.label}"
    notes = _judge_notes(store, run_id, judge_ref, {a.item_id for a in answers}) if judge_ref else {}
    shown = [_example(by_item[a.item_id], a, graded_by, notes.get(a.item_id)) for a in answers]
    rest = sorted((i for i in items if i.item_id not in {a.item_id for a in answers}),
                  key=lambda i: (i.prompt_id, i.item_id))
    return shown + [_example(i, None, "", None) for i in rest[:k - len(shown)]]


def example_answers(store: Store, source: Mapping[str, Any] | None, figures_run: Mapping[str, str],
                    refs: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """``model_examples`` for each of ``refs`` (a decision's chosen model and runner-up): from the run the
    model's quality came from (``source``'s ``runs`` or ``run_id``) when that source graded it there, else
    from ``figures_run[ref]``, the run its speed figures came from. What ``build_decision(examples=...)``
    calls, with ``store``, ``source`` and ``figures_run`` bound."""
    out = {}
    for ref in (r for r in refs if r in figures_run):
        graded = (source or {}).get("runs", {}).get(ref) or (source or {}).get("run_id")
        examples = model_examples(store, graded, ref, source) if graded else []
        if not any(e["grade"] for e in examples):
            examples = model_examples(store, figures_run[ref], ref, source)
        out[ref] = examples
    return out
