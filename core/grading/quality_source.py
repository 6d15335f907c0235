"""Which grades feed a decision's quality criterion: a judge model's, people's, or none.

The Decide page and ``cli.py decide --quality`` make the same choice through this module, with the
same words (``none``, ``people``, ``judge:REF``, REF a model ref ``SOURCE:MODEL_ID``), so a decision
recorded from either rests on the same numbers and describes its source the same way. The page's
widget only collects a rubric and a source word; what can be chosen (``quality_options``) and what a
choice yields (``quality_for_decision``) are decided here.

Policy (as for speed figures in ``core.decide.candidates``): a model's quality comes from ONE run, never an
average over runs graded under different conditions: the newest of the chosen runs in which this
source scored the model's answers under this rubric version. Unscored judge replies are left out
(never zeros); a model without scores has no quality (missing, never 0), and ``note`` says so.

A judge's scores from a run count only where the judge is qualified for the rubric in that run, unless
the product owner overrides with a reason (``core.grading.judge_gate``); the record's
``quality_source`` keeps each run's qualification verdict and the reason it quotes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from core.grading.agreement import Agreement, judge_human_agreement
from core.grading.controls import judge_qualification
from core.grading.judge_gate import JudgeGate, Qualification, judge_gate, not_checked
from core.grading.results import quality_by_model
from core.grading.rubric import Rubric, get_rubric, list_rubrics
from core.refs import parse_ref
from store import Store, queries
from store.records import Grade, Judgment

SourceKind = Literal["judge", "people", "none"]
USAGE = "judge:SOURCE:MODEL_ID, people or none"


@dataclass(frozen=True)
class QualitySource:
    """Where quality comes from; ``str()`` and ``parse`` round-trip (``judge:REF``, ``people``, ``none``)."""

    kind: SourceKind
    judge_ref: str | None = None

    @classmethod
    def parse(cls, text: str) -> QualitySource:
        """Read a source as the CLI spells it; ``ValueError`` (one sentence) when it is none of the three."""
        text = text.strip()
        if text in ("people", "none"):
            return cls(text)  # type: ignore[arg-type]
        if text.startswith("judge:"):
            try:
                return cls("judge", str(parse_ref(text.removeprefix("judge:"))))
            except ValueError:
                pass
        raise ValueError(f"Unknown quality source {text!r}: use {USAGE}.")

    def __str__(self) -> str:
        return f"judge:{self.judge_ref}" if self.kind == "judge" else self.kind


NO_QUALITY = QualitySource("none")
PEOPLE = QualitySource("people")


@dataclass(frozen=True)
class DecisionQuality:
    """What ``core.decide.candidates.candidate_table_from_store(store, run_ids, quality)`` and
    ``core.decide.decision.build_decision(..., quality_source=source)`` need, plus what to show beside them."""

    quality: dict[str, dict[str, Any]] = field(default_factory=dict)  # ref -> {mean, ci95_low, ci95_high, n}
    source: dict[str, Any] | None = None  # the decision record's ``evidence.quality_source``
    agreements: dict[str, Agreement] = field(default_factory=dict)  # run id -> judge vs people (judge only)
    gates: dict[str, JudgeGate] = field(default_factory=dict)  # run id -> may its judge scores be used
    note: str | None = None  # why some or all quality is missing, in one sentence

    @property
    def held_back(self) -> list[JudgeGate]:
        """The runs whose judge scores are not used: the judge is not qualified there and nobody overrode."""
        return [gate for gate in self.gates.values() if not gate.use]


@dataclass(frozen=True)
class QualityOptions:
    """What the user can choose from for some runs, most graded first (the page's default is the first)."""

    rubrics: list[Rubric]
    sources: list[QualitySource]  # every judge that judged these runs, then people
    counts: dict[tuple[str, int, str], int]  # (rubric name, version, str(source)) -> judgments or grades

    def graded_sources(self, rubric: Rubric) -> list[QualitySource]:
        """The sources holding at least one judgment or grade under this rubric version."""
        return [s for s in self.sources if self.counts.get((rubric.name, rubric.version or 0, str(s)))]

    def default_source(self, rubric: Rubric) -> QualitySource:
        """The first source holding grades for ``rubric``, else none (so quality is not left out by default)."""
        held = self.graded_sources(rubric)
        return held[0] if held else NO_QUALITY


def quality_options(store: Store, run_ids: Sequence[str]) -> QualityOptions:
    """The rubrics (latest versions, most graded first) and sources with grades for these runs."""
    counts: Counter[tuple[str, int, str]] = Counter()
    judges: set[str] = set()
    for run_id in run_ids:
        for j in queries.find(store, Judgment, run_id=run_id):
            judges.add(j.judge_ref)
            counts[(j.rubric_name, j.rubric_version, str(QualitySource("judge", j.judge_ref)))] += 1
        for g in queries.find(store, Grade, run_id=run_id):
            counts[(g.rubric_name, g.rubric_version, str(PEOPLE))] += 1
    rubrics = sorted(list_rubrics(store), key=lambda r: -sum(n for (name, version, _), n in counts.items()
                                                             if (name, version) == (r.name, r.version)))
    sources = [QualitySource("judge", ref) for ref in sorted(judges)] + [PEOPLE]
    return QualityOptions(rubrics, sources, dict(counts))


def resolve_rubric(store: Store, rubric: Rubric | str | None, run_ids: Sequence[str],
                   source: QualitySource) -> Rubric:
    """The rubric to read grades under: the one given (a name means its latest version) or, when None,
    the one with the most grades from ``source`` in these runs. ``ValueError`` when there is none."""
    if isinstance(rubric, Rubric):
        return rubric
    if rubric is not None:
        found = get_rubric(store, rubric)
        if found is None:
            known = ", ".join(r.name for r in list_rubrics(store)) or "none yet"
            raise ValueError(f"No rubric named {rubric!r} (known: {known}).")
        return found
    options = quality_options(store, run_ids)
    graded = [r for r in options.rubrics if options.counts.get((r.name, r.version or 0, str(source)))]
    if not graded:
        raise ValueError(f"No grades from {source} in runs {', '.join(run_ids)}: grade them on the Grade page "
                         "first, or choose another quality source.")
    return graded[0]


Qualify = Callable[[Store, str, str, Rubric], Qualification | None]


def quality_for_decision(store: Store, run_ids: Sequence[str], source: QualitySource | str,
                         rubric: Rubric | str | None = None, *, override_reason: str | None = None,
                         qualify: Qualify = judge_qualification) -> DecisionQuality:
    """Quality per model from ``source`` under ``rubric`` over ``run_ids`` (see the module docstring).

    ``source`` may be spelled as on the command line (``judge:REF``, ``people``, ``none``); ``rubric``
    may be a name (its latest version) or None (the one holding most grades from ``source``). A judge's
    scores count only from runs where ``qualify`` finds it qualified, or everywhere with an
    ``override_reason``. Raises ``ValueError`` with one sentence for an unknown run, source or rubric."""
    source = QualitySource.parse(source) if isinstance(source, str) else source
    if source.kind == "none":
        return DecisionQuality()
    runs = queries.get_runs(store, run_ids)
    rubric = resolve_rubric(store, rubric, run_ids, source)
    quality: dict[str, dict[str, Any]] = {}
    from_run: dict[str, str] = {}
    gates: dict[str, JudgeGate] = {}
    for run in sorted(runs, key=lambda r: r.created_at, reverse=True):
        scored = [q for q in quality_by_model(store, run.run_id, rubric, judge_ref=source.judge_ref)
                  if q.overall.n and q.model_ref not in quality]
        if scored and source.judge_ref:
            gates[run.run_id] = judge_gate(run.run_id, qualify(store, run.run_id, source.judge_ref, rubric),
                                           not_checked(source.judge_ref, rubric.label, run.run_id), override_reason)
            if not gates[run.run_id].use:
                continue
        for q in scored:
            quality[q.model_ref] = {"mean": q.overall.mean, "ci95_low": q.overall.ci95_low,
                                    "ci95_high": q.overall.ci95_high, "n": q.overall.n}
            from_run[q.model_ref] = run.run_id
    used = sorted(set(from_run.values()))
    agreements = ({run_id: judge_human_agreement(store, run_id, source.judge_ref, rubric) for run_id in used}
                  if source.judge_ref else {})
    note = None
    if not quality:
        note = (f"The scores of {source} under {rubric.label} are held back: the judge is not qualified (see its "
                "verdict); quality is left out." if gates else
                f"No scored answers from {source} under {rubric.label} in these runs yet: quality is left out "
                "(missing, never 0).")
    return DecisionQuality(quality, _described(source, rubric, from_run, agreements, gates), agreements, gates,
                           note)


def _described(source: QualitySource, rubric: Rubric, from_run: dict[str, str],
               agreements: dict[str, Agreement], gates: dict[str, JudgeGate]) -> dict[str, Any]:
    """The decision record's ``quality_source``: the run (or each model's run), rubric, grader, agreement,
    and for a judge its qualification per run and the reason quoted when an unqualified one was used."""
    used = sorted(set(from_run.values()))
    described: dict[str, Any] = {"run_id": used[0]} if len(used) == 1 else {}
    if len(used) > 1:
        described["runs"] = dict(sorted(from_run.items()))
    described |= {"rubric": rubric.label, "judge": source.judge_ref or "people"}
    shown = {run_id: {"kappa": a.kappa, "spearman": a.spearman, "n_items": a.n_items, "verdict": a.verdict}
             for run_id, a in agreements.items()}
    if shown:
        described["agreement"] = next(iter(shown.values())) if len(shown) == 1 else shown
    if gates:
        described["qualification"] = {run_id: gate.as_record() for run_id, gate in sorted(gates.items())}
    reason = next((gate.override_reason for gate in gates.values() if gate.override_reason), None)
    if reason:  # one reason, given once for the whole choice, set only where it let scores in
        described["override_unqualified"] = reason
    return described
