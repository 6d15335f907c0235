"""The decision record: which model was chosen, by whom, on what evidence, and how robust the choice is.

A record is one plain JSON document in the ``decisions`` table (fields in ``store/SCHEMA.md``). It
holds the *inputs* (candidate table and settings) as well as the *results* (ranking, exclusions,
Pareto, sensitivity), so ``recompute`` can rebuild the ranking from the record alone and anyone can
check it later, after the runs it rests on have been deleted. Records are never edited except for
their status: a new decision supersedes an old one, it does not overwrite it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from core.decide.candidates import CandidateTable
from core.decide.pareto import pareto_quality_latency
from core.decide.ranking import Ranking, rank
from core.decide.sensitivity import CONCENTRATION, DRAWS, WinProbability, sensitivity
from core.decide.settings import SelectionSettings
from core.jobs import utc_now
from store import Store, queries
from store.records import DECISION_STATUSES, Decision

STATUSES = DECISION_STATUSES
NO_MODEL_QUALIFIES = "no model qualifies"
# refs -> {ref: [example answers beside their grades]} (``core.grading.examples.example_answers``, bound)
Examples = Callable[[Sequence[str]], Mapping[str, list[dict[str, Any]]]]


def compared_models(ranking: Ranking, chosen: str | None) -> list[tuple[str, str]]:
    """``[(ref, role)]``: the chosen model and the runner-up (the best-ranked other model), the two whose
    answers the record shows."""
    if chosen is None:
        return []
    runner_up = next((m.ref for m in ranking.ranked if m.ref != chosen), None)
    return [(chosen, "chosen"), *([(runner_up, "runner-up")] if runner_up else [])]


def _examples(ranking: Ranking, chosen: str | None, examples: Examples | None) -> list[dict[str, Any]]:
    roles = compared_models(ranking, chosen) if examples else []
    found = examples([ref for ref, _ in roles]) if examples and roles else {}
    return [{"ref": ref, "role": role, "answers": list(found.get(ref, []))} for ref, role in roles]


def _check_choice(ranking: Ranking, chosen: str, override_reason: str) -> None:
    """Raise ``ValueError`` when the chosen model was excluded, unknown, or overrides the top without a reason."""
    excluded = {e.ref: e.reasons for e in ranking.excluded}
    if chosen in excluded:
        raise ValueError(f"{chosen} was excluded: {'; '.join(excluded[chosen])}.")
    if chosen not in {m.ref for m in ranking.ranked}:
        raise ValueError(f"{chosen} is not among the ranked models.")
    if chosen != ranking.winner and not override_reason.strip():
        raise ValueError(f"Choosing {chosen} over the top-ranked {ranking.winner} needs a stated reason.")


def _check_people(status: str, decision_makers: Sequence[str]) -> list[str]:
    if status not in STATUSES:
        raise ValueError(f"Status must be one of {', '.join(STATUSES)}, got {status!r}.")
    people = [p.strip() for p in decision_makers if p.strip()]
    if status == "accepted" and not people:
        raise ValueError("An accepted decision needs at least one decision-maker.")
    return people


def build_decision(table: CandidateTable, settings: SelectionSettings, *, title: str, context: str = "",
                   decision_makers: Sequence[str] = (), chosen: str | None = None, override_reason: str = "",
                   status: str = "proposed", consequences: str = "",
                   quality_source: Mapping[str, Any] | None = None, supersedes: str | None = None,
                   decided_on: str | None = None, draws: int = DRAWS, concentration: float = CONCENTRATION,
                   seed: int = 0, none_qualifies: bool = False, examples: Examples | None = None) -> dict[str, Any]:
    """Rank, check the choice (the top-ranked model unless ``chosen`` overrides it with a reason) and
    return the record ready for ``save_decision``.

    When the hard constraints and the rule for missing data leave no model, that is an outcome too: with
    ``none_qualifies`` the record says so (``no_model_qualifies``, ``chosen`` null) and its ``excluded`` lists
    every model with each constraint it failed; without it, a ``ValueError`` says what to do.

    ``quality_source`` describes where quality means came from, e.g. ``{"run_id", "rubric", "judge",
    "agreement": {"kappa", "verdict"}}``; it is kept verbatim as evidence. The record's ``sensitivity``
    holds the win probabilities (weights and measurements drawn ``draws`` times from ``seed``) and ``lead``,
    the noise verdict with its sentence (``core.decide.lead``), not the samples: ``run_ids`` lead to them.
    ``examples`` gives the chosen model's and the runner-up's example answers beside their grades; the record
    keeps them (``evidence.examples``: ``[{ref, role, answers}]``) so the exports show them verbatim, escaped."""
    if not title.strip():
        raise ValueError("Give the decision a title.")
    people = _check_people(status, decision_makers)
    ranking = rank(table, settings)
    if ranking.winner is None and not none_qualifies:
        raise ValueError("No model passes the constraints with a score: relax a constraint, or record that no "
                         "model qualifies.")
    if ranking.winner is not None and none_qualifies:
        raise ValueError(f"{ranking.winner} qualifies: record it, or tighten the constraints that leave it in.")
    if ranking.winner is not None:
        chosen = chosen or ranking.winner
        _check_choice(ranking, chosen, override_reason)
        robustness = sensitivity(ranking, table, settings, draws=draws, concentration=concentration, seed=seed)
        flips, win, lead = robustness.flips, robustness.win, robustness.lead
    else:  # nobody to choose, to test for robustness or to compare: the record is the list of exclusions
        chosen, override_reason = None, ""
        flips, win, lead = (), WinProbability({}, 0, seed, concentration), None
    pareto = pareto_quality_latency(ranking)
    record = {
        "decision_id": uuid.uuid4().hex[:12],
        "title": title.strip(),
        "status": status,
        "created_at": utc_now(),
        "decided_on": decided_on or datetime.now(UTC).date().isoformat(),
        "context": context,
        "decision_makers": people,
        "consequences": consequences,
        "chosen": chosen,
        "top_ranked": ranking.winner,
        "no_model_qualifies": ranking.winner is None,
        "override_reason": override_reason.strip() or None,
        "run_ids": [r["run_id"] for r in table.runs],
        "settings": settings.as_dict(),
        "weights_applied": ranking.weights,
        "candidates": table.as_dict(),
        "ranked": [asdict(m) for m in ranking.ranked],
        "excluded": [asdict(e) for e in ranking.excluded],
        "dropped": ranking.dropped,
        "pareto": {"points": [asdict(p) | {"on_frontier": p.on_frontier} for p in pareto.points],
                   "not_plotted": pareto.not_plotted},
        "sensitivity": {"flips": [asdict(f) for f in flips], **asdict(win), "lead": lead.as_dict() if lead else None},
        "evidence": {"runs": [dict(r) for r in table.runs], "quality_source": dict(quality_source or {}) or None,
                     "notes": list(table.notes), "examples": _examples(ranking, chosen, examples)},
        "supersedes": supersedes,
        "superseded_by": None,
    }
    return json.loads(json.dumps(record))  # plain JSON now, so the built record equals the stored one


def recompute(record: Mapping[str, Any]) -> Ranking:
    """The ranking rebuilt from the record's own inputs (to audit it, or to re-weigh it)."""
    return rank(CandidateTable.from_dict(record["candidates"]), SelectionSettings.from_dict(record["settings"]))


def save_decision(store: Store, record: Mapping[str, Any]) -> int:
    """Store a record; when it ``supersedes`` another, mark that one superseded in the same transaction."""
    with store.transaction():
        decision = Decision.build(record)
        if decision.supersedes:
            old = get_decision(store, decision.supersedes)
            if old is None:
                raise ValueError(f"No decision {decision.supersedes!r} to supersede.")
            queries.update(store, Decision, old.stored_id, {"status": "superseded",
                                                            "superseded_by": decision.decision_id})
        return queries.insert(store, decision)


def get_decision(store: Store, decision_id: str) -> Decision | None:
    return queries.first(store, Decision, decision_id=decision_id)


def list_decisions(store: Store) -> list[Decision]:
    """Every stored decision, newest first."""
    return sorted(queries.find(store, Decision), key=lambda d: (d.created_at, d.stored_id), reverse=True)


def set_status(store: Store, decision_id: str, status: str) -> None:
    """Move a decision between ``proposed``, ``accepted`` and ``superseded`` (nothing else ever changes)."""
    record = get_decision(store, decision_id)
    if record is None:
        raise ValueError(f"No decision {decision_id!r}.")
    _check_people(status, record.decision_makers)
    queries.update(store, Decision, record.stored_id, {"status": status})
