"""What a pairwise judge's stored verdicts say: who wins each pair, how sure that is, and whether the judge
looked at the answers or at their order.

Per (prompt, model pair) the verdicts of each order are mapped back to the models (A/B -> which model)
and their samples averaged (``core.grading.judge_samples``: a preference of 1 = the first model of the
pair, 0.5 = tie, 0 = the second, with its spread). Both orders agreeing gives the outcome; orders that
disagree make it a tie ("flip"), as MT-Bench does, and the share of (prompt, pair) where the orders
agreed is the judge's **position consistency**: a judge that always names Response A scores 0% and
every outcome is a tie. An order whose samples were all unreadable leaves that (prompt, pair) without an
outcome: counted as unreadable, never as a tie.

Win rates per pair come with exact 95% intervals over prompts (``core.grading.proportions``, which says
why not a bootstrap at these prompt counts); a Bradley-Terry fit (``core.grading.bradley_terry``) puts
every model on one scale.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from core.grading.bradley_terry import fit_strengths
from core.grading.judge_progress import judge_job
from core.grading.judge_samples import SampleSpread, mean_and_spread
from core.grading.proportions import Share, WinRate
from core.grading.rubric import Rubric
from core.grading.thresholds import Scale
from store import Store, queries
from store.records import Job, JobKinds, PairwiseVerdict

CONSISTENT, SWAYED, MOSTLY_FLIPS = "consistent", "swayed", "mostly flips"
CONSISTENCY_SCALE = Scale(((0.8, CONSISTENT), (0.5, SWAYED)), below=MOSTLY_FLIPS, digits=0, percent=True)


@dataclass(frozen=True)
class PairResult:
    """``model_x`` against ``model_y`` over the prompts with an outcome."""

    model_x: str
    model_y: str
    record: WinRate  # from model_x's side: wins, ties (flips included), losses
    flips: int  # ties because the orders disagreed
    unreadable: int  # prompts without an outcome (an order with no readable verdict)
    sample_sd: float | None  # mean spread of the samples within one order (None with one sample)

    def as_dict(self) -> dict[str, Any]:
        interval = self.record.interval
        return {"model_x": self.model_x, "model_y": self.model_y, "prompts": self.record.n,
                "x_wins": self.record.wins, "ties": self.record.ties, "y_wins": self.record.losses,
                "flips": self.flips, "unreadable": self.unreadable, "x_win_rate": self.record.rate,
                "ci95_low": interval[0] if interval else None, "ci95_high": interval[1] if interval else None,
                "sample_sd": self.sample_sd}


@dataclass(frozen=True)
class PairwiseSummary:
    """One judge's pairwise verdicts on one run under one rubric version."""

    judge_ref: str
    rubric: str  # the rubric's label, e.g. "helpfulness v1"
    verdicts: int
    unreadable_verdicts: int
    samples: int  # judge samples per order (the most any comparison has)
    consistency: Share  # (prompt, pair) whose two orders agreed, of those with both orders read
    first_position: Share  # verdicts naming Response A, of those naming A or B (0.5 = no position bias)
    pairs: list[PairResult]
    strengths: dict[str, float] | None  # Bradley-Terry, geometric mean 1, strongest first; None if not linked

    @property
    def parse_failure_rate(self) -> float | None:
        return self.unreadable_verdicts / self.verdicts if self.verdicts else None

    @property
    def level(self) -> str | None:
        """``consistent``, ``swayed`` or ``mostly flips`` (``CONSISTENCY_SCALE``); None before any comparison."""
        rate = self.consistency.rate
        return None if rate is None else CONSISTENCY_SCALE.label(rate)

    @property
    def verdict(self) -> str:
        """What the consistency rate means for using this judge, in one sentence."""
        share = self.consistency
        if share.rate is None:
            return "No comparison has a readable verdict in both orders yet, so nothing can be said about this judge."
        low, high = share.interval or (0.0, 1.0)
        said = (f"{share.k} of {share.n} comparisons kept their verdict when the answers swapped places "
                f"({CONSISTENCY_SCALE.reading(share.rate).text}, 95% interval {low:.0%}-{high:.0%})")
        if self.level == CONSISTENT:
            return f"{said}: the judge looks at the answers, not at their order."
        if self.level == MOSTLY_FLIPS:
            return (f"{said}: this judge mostly follows the position, not the content; most outcomes are ties "
                    "and its preferences say little. Use a larger judge.")
        return f"{said}: the judge is swayed by the order often enough that its verdicts need care."

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON values (``cli.py judge --mode pairwise --json``)."""
        interval = self.consistency.interval
        return {"judge_ref": self.judge_ref, "rubric": self.rubric, "verdicts": self.verdicts,
                "unreadable_verdicts": self.unreadable_verdicts, "parse_failure_rate": self.parse_failure_rate,
                "samples": self.samples,
                "position_consistency": {**asdict(self.consistency), "rate": self.consistency.rate,
                                         "ci95_low": interval[0] if interval else None,
                                         "ci95_high": interval[1] if interval else None},
                "first_position_share": {**asdict(self.first_position), "rate": self.first_position.rate},
                "pairs": [p.as_dict() for p in self.pairs], "bradley_terry": self.strengths, "verdict": self.verdict}


def _latest(verdicts: list[PairwiseVerdict]) -> list[PairwiseVerdict]:
    """One verdict per question (prompt, both items, sample): a readable one if any, else the latest."""
    chosen: dict[tuple[str, str, str, int], PairwiseVerdict] = {}
    for v in verdicts:  # stored order: later ones replace earlier unreadable ones
        key = (v.prompt_id, v.item_a, v.item_b, v.sample)
        if key not in chosen or chosen[key].status != "scored":
            chosen[key] = v
    return list(chosen.values())


def _preference(v: PairwiseVerdict, model_x: str) -> float | None:
    """1 when the verdict prefers ``model_x``, 0.5 for a tie, 0 for the other model; None when unreadable."""
    if v.winner is None:
        return None
    if v.winner == "tie":
        return 0.5
    return 1.0 if (v.model_a if v.winner == "A" else v.model_b) == model_x else 0.0


def _side(spread: SampleSpread) -> int | None:
    """+1 / 0 / -1: the first model, a tie, the second model; None when the order has no readable sample."""
    if spread.mean is None:
        return None
    return (spread.mean > 0.5) - (spread.mean < 0.5)


@dataclass
class _Tally:
    wins: int = 0
    ties: int = 0
    losses: int = 0
    flips: int = 0
    unreadable: int = 0
    consistent: int = 0
    both_read: int = 0

    def add(self, forward: SampleSpread, backward: SampleSpread) -> None:
        first, second = _side(forward), _side(backward)
        if first is None or second is None:
            self.unreadable += 1
            return
        self.both_read += 1
        if first != second:
            self.ties += 1
            self.flips += 1
            return
        self.consistent += 1
        self.wins += first > 0
        self.ties += first == 0
        self.losses += first < 0


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def pairwise_summary(store: Store, run_id: str, judge_ref: str, rubric: Rubric) -> PairwiseSummary | None:
    """The pairwise results of ``judge_ref`` on ``run_id`` under this rubric version; ``None`` without verdicts."""
    stored = queries.scores_for(store, PairwiseVerdict, run_id, rubric.name, rubric.version, judge_ref=judge_ref)
    if not stored:
        return None
    verdicts = _latest(stored)
    # (x, y) sorted pair -> prompt -> model shown first -> preference for x, one per sample
    prefs: dict[tuple[str, str], dict[str, dict[str, list[float | None]]]] = {}
    for v in verdicts:
        x, y = sorted((v.model_a, v.model_b))
        prefs.setdefault((x, y), {}).setdefault(v.prompt_id, {}).setdefault(v.model_a, []).append(_preference(v, x))
    pairs: list[PairResult] = []
    wins: dict[tuple[str, str], float] = {}
    consistent = both_read = 0
    for (x, y), by_prompt in sorted(prefs.items()):
        tally, spreads = _Tally(), []
        for orders in by_prompt.values():
            forward, backward = mean_and_spread(orders.get(x, [])), mean_and_spread(orders.get(y, []))
            tally.add(forward, backward)
            spreads += [s.sd for s in (forward, backward) if s.sd is not None]
        pairs.append(PairResult(x, y, WinRate(tally.wins, tally.ties, tally.losses), tally.flips, tally.unreadable,
                                _mean(spreads)))
        wins[(x, y)], wins[(y, x)] = tally.wins + tally.ties / 2, tally.losses + tally.ties / 2
        consistent, both_read = consistent + tally.consistent, both_read + tally.both_read
    models = sorted({m for pair in prefs for m in pair})
    strengths = fit_strengths(models, wins)
    named = [v.winner for v in verdicts if v.winner in ("A", "B")]
    return PairwiseSummary(
        judge_ref=judge_ref, rubric=rubric.label, verdicts=len(verdicts),
        unreadable_verdicts=sum(v.status != "scored" for v in verdicts),
        samples=max(v.sample for v in verdicts) + 1,
        consistency=Share(consistent, both_read),
        first_position=Share(named.count("A"), len(named)),
        pairs=pairs,
        strengths=dict(sorted(strengths.items(), key=lambda kv: -kv[1])) if strengths else None,
    )


def pairwise_judges(store: Store, run_id: str, rubric: Rubric) -> list[str]:
    """The judges with pairwise verdicts on this run under this rubric version, in the order they first judged."""
    verdicts = queries.scores_for(store, PairwiseVerdict, run_id, rubric.name, rubric.version)
    return list(dict.fromkeys(v.judge_ref for v in verdicts))


@dataclass(frozen=True)
class PairwiseView:
    """What the Pairwise tab shows: the job to watch and every judge's results for the run and rubric version."""

    job: Job | None  # a running pairwise job, else the one this session started last, else None
    summaries: list[PairwiseSummary]


def pairwise_view(store: Store, run_id: str, rubric: Rubric, started_here: str | None) -> PairwiseView:
    summaries = [pairwise_summary(store, run_id, judge, rubric) for judge in pairwise_judges(store, run_id, rubric)]
    return PairwiseView(judge_job(store, started_here, JobKinds.PAIRWISE), [s for s in summaries if s is not None])
