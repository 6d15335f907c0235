"""Pairwise judging (Chatbot Arena / MT-Bench style) as a background job -> ``pairwise_verdicts`` table.

Scores on a 1-5 scale drift with the judge's mood; "which of these two is better?" is an easier question,
and the one a product owner asks. For every pair of models in a run, over the prompts both answered, the
judge sees both answers twice, once in each order, ``samples`` times per order. A judge that prefers
whichever answer comes first flips its verdict when the order swaps: the results
(``core.grading.pairwise_results``) count such a flip as a tie and report how often that happened.

What is compared: one answer per (model, prompt), the first distinct answer of ``core.grading.items``
(the same blind items the single-answer judge and people grade). The work is bounded: at most
``max_prompts`` prompts (50) and ``max_pairs`` model pairs (10: five models) unless asked for more, in the
run's order; the counts say what was left out. Each request is ``2 x samples`` per (prompt, pair).

Every verdict is stored as it comes in (batched), readable or not; a rerun asks again only what has no
readable verdict yet, so unreadable ones get another chance and nothing judged is lost. Cancel is
honoured between requests.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from core import defaults
from core.benchmark.runner import Control
from core.engines.base import Engine
from core.grading.items import GradingItem, grading_items
from core.grading.judge import ask_judge, rubric_params, stored_rubric
from core.grading.judge_loop import ask_each
from core.grading.pairwise_prompt import (
    DEFAULT_MAX_OUTPUT_TOKENS,
    build_pairwise_messages,
    pairwise_params,
    read_verdict,
)
from core.grading.rubric import Rubric
from core.jobs import Incomplete, JobContext, utc_now
from core.models.sources import Sources, local_sources
from core.refs import parse_ref
from core.workers.spawn import start_worker_job
from store import BatchWriter, Store, queries
from store.records import JobKinds, PairwiseVerdict, Table

MAX_PROMPTS = 50
MAX_PAIRS = 10
MAX_SAMPLES = 10


@dataclass(frozen=True)
class Comparison:
    """One request: the answers of two models to one prompt, ``first`` shown as Response A."""

    first: GradingItem
    second: GradingItem
    sample: int

    @property
    def key(self) -> tuple[str, str, str, int]:
        return self.first.prompt_id, self.first.item_id, self.second.item_id, self.sample


@dataclass(frozen=True)
class Plan:
    """Every request a pairwise pass makes, and what its bounds left out."""

    comparisons: list[Comparison]
    pairs: int  # model pairs compared
    pairs_total: int  # model pairs the run has
    prompts: int  # prompts compared
    prompts_total: int  # prompts answered by at least two models
    skipped_no_reference: int  # prompts left out: the rubric needs a reference they lack


def _answers(items: list[GradingItem]) -> dict[str, dict[str, GradingItem]]:
    """model -> prompt -> its first distinct answer, models and prompts in the run's order."""
    answers: dict[str, dict[str, GradingItem]] = {}
    for item in items:
        answers.setdefault(item.model_ref, {}).setdefault(item.prompt_id, item)
    return answers


def plan_comparisons(items: list[GradingItem], rubric: Rubric, *, samples: int = 1, max_prompts: int = MAX_PROMPTS,
                     max_pairs: int = MAX_PAIRS) -> Plan:
    """Every pair of models (at most ``max_pairs``), over the prompts both answered (at most ``max_prompts``
    in all), in both orders, ``samples`` times each."""
    for name, value, top in (("samples", samples, MAX_SAMPLES), ("max_prompts", max_prompts, None),
                             ("max_pairs", max_pairs, None)):
        if value < 1 or (top is not None and value > top):
            raise ValueError(f"{name} must be from 1 to {top}, got {value}." if top else
                             f"{name} must be at least 1, got {value}.")
    answers = _answers(items)
    prompt_order = list(dict.fromkeys(i.prompt_id for i in items))
    answered_by = {p: [m for m in answers if p in answers[m]] for p in prompt_order}
    shared = [p for p in prompt_order if len(answered_by[p]) >= 2]
    no_reference = [p for p in shared if rubric.uses_reference and not answers[answered_by[p][0]][p].reference]
    prompts = [p for p in shared if p not in no_reference][:max_prompts]
    all_pairs = list(itertools.combinations(answers, 2))
    comparisons = [
        Comparison(answers[a][p], answers[b][p], s) if forward else Comparison(answers[b][p], answers[a][p], s)
        for p in prompts for a, b in all_pairs[:max_pairs] if p in answers[a] and p in answers[b]
        for forward in (True, False) for s in range(samples)
    ]
    return Plan(comparisons, min(len(all_pairs), max_pairs), len(all_pairs), len(prompts), len(shared),
                len(no_reference))


def verdict_doc(comparison: Comparison, judge_ref: str, rubric: Rubric, reply: str) -> dict[str, Any]:
    """The stored form of one pairwise verdict (``store.records.PairwiseVerdict``), checked against the contract."""
    reading = read_verdict(reply)
    first, second = comparison.first, comparison.second
    return PairwiseVerdict.build({
        "run_id": first.run_id, "prompt_id": first.prompt_id, "judge_ref": judge_ref,
        "rubric_name": rubric.name, "rubric_version": rubric.version,
        "model_a": first.model_ref, "model_b": second.model_ref, "item_a": first.item_id, "item_b": second.item_id,
        "sample": comparison.sample, "status": "scored" if reading.winner else "unscored", "winner": reading.winner,
        "reason": reading.reason, "problem": reading.problem, "parse_method": reading.method, "raw_reply": reply,
        "created_at": utc_now(),
    }).to_doc()


def _ask(engine: Engine, model_id: str, rubric: Rubric, comparison: Comparison, samples: int,
         max_output_tokens: int, timeout_s: float) -> str:
    first, second = comparison.first, comparison.second
    messages = build_pairwise_messages(rubric, first.prompt, first.response, second.response, first.reference)
    params = pairwise_params(samples=samples, sample=comparison.sample, max_output_tokens=max_output_tokens,
                             timeout_s=timeout_s)
    return ask_judge(engine, model_id, messages, params).text


def _require_saved(rubric: Rubric) -> None:
    if rubric.version is None:
        raise ValueError(f"Save the rubric {rubric.name!r} before judging with it: verdicts record its version.")


def execute_pairwise(sources: Sources, store: Store, run_id: str, judge_ref: str, rubric: Rubric, control: Control,
                     *, samples: int = 1, max_prompts: int = MAX_PROMPTS, max_pairs: int = MAX_PAIRS,
                     max_output_tokens: int = DEFAULT_MAX_OUTPUT_TOKENS,
                     timeout_s: float = defaults.REQUEST_TIMEOUT_S) -> dict:
    """Ask the judge every comparison of the run it has no readable verdict for yet.

    Returns counts ``{"requests", "judged", "scored", "unscored", "skipped_done", "failed", "cancelled", "pairs",
    "pairs_total", "prompts", "prompts_total", "skipped_no_reference", "samples"}``. A judge that cannot be
    reached twice in a row ends the job with ``EngineError`` (what was judged so far is kept).
    """
    _require_saved(rubric)
    plan = plan_comparisons(grading_items(store, run_id), rubric, samples=samples, max_prompts=max_prompts,
                            max_pairs=max_pairs)
    done = {(v.prompt_id, v.item_a, v.item_b, v.sample)
            for v in queries.scores_for(store, PairwiseVerdict, run_id, rubric.name, rubric.version,
                                        judge_ref=judge_ref) if v.status == "scored"}
    todo = [c for c in plan.comparisons if c.key not in done]
    counts = {"requests": len(plan.comparisons), "judged": 0, "scored": 0, "unscored": 0,
              "skipped_done": len(plan.comparisons) - len(todo), "failed": 0, "cancelled": False,
              "pairs": plan.pairs, "pairs_total": plan.pairs_total, "prompts": plan.prompts,
              "prompts_total": plan.prompts_total, "skipped_no_reference": plan.skipped_no_reference,
              "samples": samples}
    if not todo:
        return counts

    def handle(comparison: Comparison, reply: str, writer: BatchWriter) -> None:
        doc = verdict_doc(comparison, judge_ref, rubric, reply)
        writer.add(doc)
        counts["judged"] += 1
        counts[doc["status"]] += 1

    ask_each(sources, store, judge_ref, todo, control, counts, table=Table.PAIRWISE,
             ask=lambda engine, model_id, comparison: _ask(engine, model_id, rubric, comparison, samples,
                                                           max_output_tokens, timeout_s),
             handle=handle, job="Pairwise judging", verb="compared")
    return counts


def pairwise_message(counts: dict, judge_ref: str) -> str | Incomplete:
    """The job's closing line: what was asked, what could not be read, and what the bounds left out;
    ``Incomplete`` (a warning, never a success) when a verdict could not be read or a request failed."""
    parts = [f"{counts['scored']} readable", f"{counts['unscored']} unreadable"]
    parts += [f"{counts[k]} {label}" for k, label in (("skipped_done", "already judged"), ("failed", "failed"))
              if counts[k]]
    pairs = f"{counts['pairs']} model pair" + ("s" if counts["pairs"] != 1 else "")
    text = (f"Compared {pairs} over {counts['prompts']} prompts with {judge_ref} "
            f"({counts['judged']} of {counts['requests']} requests): " + ", ".join(parts) + ".")
    if counts["pairs"] < counts["pairs_total"] or counts["prompts"] < counts["prompts_total"]:
        text += (f" Bounded to {counts['pairs']} of {counts['pairs_total']} pairs and {counts['prompts']} of "
                 f"{counts['prompts_total']} prompts.")
    if counts["skipped_no_reference"]:
        text += f" {counts['skipped_no_reference']} prompts skipped: no reference answer."
    if counts["unscored"] or counts["failed"]:
        return Incomplete(f"{text} Run it again to ask the unreadable comparisons again, or choose a larger judge.")
    return text


def start_pairwise(sources: Sources, store: Store, run_id: str, judge_ref: str, rubric: Rubric, *, samples: int = 1,
                   max_prompts: int = MAX_PROMPTS, max_pairs: int = MAX_PAIRS,
                   max_output_tokens: int = DEFAULT_MAX_OUTPUT_TOKENS,
                   timeout_s: float = defaults.REQUEST_TIMEOUT_S) -> str:
    """Judge a run pairwise in a worker process (``pairwise_job``); return the job id at once (progress and cancel
    through the job record).

    Raises ``ValueError`` at once for an unsaved rubric, an unknown run, a malformed judge ref, bad bounds, or a
    run with fewer than two models answering the same prompt.
    """
    _require_saved(rubric)
    parse_ref(judge_ref)
    plan = plan_comparisons(grading_items(store, run_id), rubric, samples=samples, max_prompts=max_prompts,
                            max_pairs=max_pairs)
    if not plan.comparisons:
        raise ValueError("Nothing to compare: pairwise judging needs two models that answered the same prompt"
                         + (" (with a reference answer, for this rubric)." if plan.skipped_no_reference else "."))
    params = {"run_id": run_id, "judge_ref": judge_ref, "rubric": rubric_params(rubric), "samples": samples,
              "max_prompts": max_prompts, "max_pairs": max_pairs, "max_output_tokens": max_output_tokens,
              "timeout_s": timeout_s}
    return start_worker_job(store, JobKinds.PAIRWISE, params, run_id=run_id, keys=sources.key_environment([judge_ref]),
                            label=f"Pairwise {run_id} with {judge_ref} ({rubric.label})")


def pairwise_job(store: Store, params: dict[str, Any], ctx: JobContext) -> str | Incomplete:
    """A worker's pairwise job (``params`` as ``start_pairwise`` writes them), with this process's own sources."""
    counts = execute_pairwise(local_sources(store), store, params["run_id"], params["judge_ref"],
                              stored_rubric(store, params["rubric"]), ctx, samples=params["samples"],
                              max_prompts=params["max_prompts"], max_pairs=params["max_pairs"],
                              max_output_tokens=params["max_output_tokens"], timeout_s=params["timeout_s"])
    return pairwise_message(counts, params["judge_ref"])
