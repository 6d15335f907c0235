"""Control answers: can this judge tell a right answer from a wrong one, before its scores are used?

A judge's scores mean nothing if it rates "2+2 = 5" as 5/5 (the default model did). So every judging
job also judges *control answers* built from the run's own prompts, blind and mixed among the real
answers (same prompt format, shuffled, stored with ``Judgment.control`` set and ``model_ref``
``control``, never counted as any model's quality):

* known-good: the prompt's reference answer (what a correct answer says), for every rubric;
* known-bad, made from it: the reference of a *different* prompt (right answer, wrong question), an
  empty or a truncated answer (alternating over prompts), and for rubrics graded against the
  reference a *planted factual error* (a number changed, a quantity or direction reversed, a
  statement negated: the error a fluent but careless answer makes).

Only prompts with a reference answer get controls: there is no known-good answer otherwise.

Control accuracy is how often the good control of a prompt scores above a bad control of the same
prompt (a tie, or a verdict that could not be read, counts half: the judge did not tell them apart);
chance is 50%. The unit of evidence is the *prompt*: the pairs of one prompt share its good control,
so they are not independent. Each prompt's score is the mean over its pairs, a number in [0, 1];
the accuracy is the mean over prompts, with a Wilson 95% interval over the prompts. Treating the
per-prompt scores as Bernoulli trials is conservative: a variable in [0, 1] with mean p has variance
at most p(1 - p) (ties and averaged pairs only shrink it), so the interval is at least as wide as it
needs to be (checked by seeded simulation in the tests).

Rule: a judge is **qualified** for a rubric when the interval's lower bound is above chance (50%).
With fewer than 4 prompts even a perfect judge cannot clear it (Wilson's lower bound for n of n is
n / (n + 3.84)), and the verdict says so rather than pretending.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass

from core.grading.items import GradingItem, item_id_for
from core.grading.results import overall_score
from core.grading.rubric import Rubric
from core.grading.thresholds import Scale
from store import Store, queries
from store.records import ControlKind, Judgment, PromptItem, Run

CONTROL_MODEL_REF = "control"  # no colon: it can never be a candidate's SOURCE:MODEL_ID
CHANCE = 0.5
ABOVE = "above chance"
ABOVE_CHANCE = Scale(((CHANCE, ABOVE),), below="not above chance", strict=True, digits=0, percent=True)
Z95 = 1.959963984540054
_MIN_TRUNCATED_WORDS = 3
_NUMBER_RE = re.compile(r"(?<![\w.,])\d+(?![\d,])")
_LIST_MARKER_RE = re.compile(r"(?:^|\n)[ \t]*$")  # what precedes a number that opens a list item ("1. ")
_ANTONYMS = {"never": "always", "always": "never", "more": "fewer", "fewer": "more", "less": "more",
             "larger": "smaller", "smaller": "larger", "faster": "slower", "slower": "faster",
             "cheaper": "more expensive", "higher": "lower", "lower": "higher", "before": "after",
             "after": "before", "increase": "decrease", "decrease": "increase", "reduce": "increase",
             "reduces": "increases", "increases": "reduces"}
_ANTONYM_RE = re.compile(r"\b(" + "|".join(_ANTONYMS) + r")\b", re.IGNORECASE)
_NEGATABLE_RE = re.compile(r"\b(is|are|can|will|does|do|was|were)\b")


# --- building the controls ------------------------------------------------------------------------


def planted_error(reference: str) -> str | None:
    """The reference with one factual error planted, or ``None`` when none of the edits applies.

    In order of preference: the first quantity changed (12 -> 13; list markers such as "1." are not
    quantities), else the first word with an opposite reversed (never -> always, larger -> smaller),
    else the first "is/are/can/..." negated."""
    for number in _NUMBER_RE.finditer(reference):
        if _LIST_MARKER_RE.search(reference[:number.start()]) and reference[number.end():].startswith("."):
            continue
        return reference[:number.start()] + str(int(number.group()) + 1) + reference[number.end():]
    word = _ANTONYM_RE.search(reference)
    if word:
        opposite = _ANTONYMS[word.group(1).lower()]
        opposite = opposite.capitalize() if word.group(1)[0].isupper() else opposite
        return reference[:word.start()] + opposite + reference[word.end():]
    verb = _NEGATABLE_RE.search(reference)
    if verb:
        return reference[:verb.end()] + " not" + reference[verb.end():]
    return None


def _truncated(reference: str) -> str | None:
    """The first third of the reference's words, cut mid-sentence (``None`` when too short to cut)."""
    words = reference.split()
    keep = len(words) // 3
    return " ".join(words[:keep]) if keep >= _MIN_TRUNCATED_WORDS else None


def _bad_answers(index: int, prompt: PromptItem, others: list[PromptItem],
                 rubric: Rubric) -> list[tuple[ControlKind, str]]:
    reference = prompt.reference or ""
    bad: list[tuple[ControlKind, str]] = []
    if others:
        bad.append(("other-prompt", others[index % len(others)].reference or ""))
    truncated = _truncated(reference) if index % 2 == 0 else None
    bad.append(("truncated", truncated) if truncated is not None else ("empty", ""))
    planted = planted_error(reference) if rubric.uses_reference else None
    if planted is not None:
        bad.append(("planted-error", planted))
    return bad


def build_controls(run: Run, rubric: Rubric) -> list[GradingItem]:
    """The control answers for ``run`` under ``rubric``: per prompt with a reference, one good control
    and its bad ones. Item ids are stable (re-judging skips controls already judged) and blind."""
    with_reference = [p for p in run.prompt_set.prompts if p.reference]
    controls: list[GradingItem] = []
    for index, prompt in enumerate(with_reference):
        others = [p for p in with_reference if p.id != prompt.id and p.reference != prompt.reference]
        answers: list[tuple[ControlKind, str]] = [("good", prompt.reference or "")]
        answers += _bad_answers(index, prompt, others, rubric)
        controls += [GradingItem(item_id=item_id_for(run.run_id, f"{CONTROL_MODEL_REF}:{kind}", prompt.id, text),
                                 run_id=run.run_id, sample_id=0, model_ref=CONTROL_MODEL_REF, prompt_id=prompt.id,
                                 prompt=prompt.prompt, reference=prompt.reference, response=text, control=kind)
                     for kind, text in answers]
    return controls


# --- qualification --------------------------------------------------------------------------------


def wilson_interval(successes: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion; ``successes`` may be fractional (ties count half)."""
    if n <= 0:
        raise ValueError("A proportion's interval needs at least one trial.")
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def min_prompts_to_qualify(z: float = Z95) -> int:
    """The fewest prompts with which a perfect judge clears chance: n / (n + z^2) > 0.5."""
    return math.floor(z * z) + 1


@dataclass(frozen=True)
class Qualification:
    """Whether a judge tells good control answers from bad ones for one rubric version, in one run."""

    judge_ref: str
    rubric_label: str
    n_prompts: int  # prompts whose good control and at least one bad control were judged: the n
    n_pairs: int  # (good, bad) pairs compared
    n_controls: int  # control verdicts recorded
    n_unscored: int  # control verdicts that could not be read (their pairs count as ties)
    accuracy: float | None  # mean over prompts of the share of pairs where good scored above bad
    ci95_low: float | None
    ci95_high: float | None
    mean_gap: float | None  # mean (good - bad) overall score over pairs where both were read, in points
    chance: float
    qualified: bool
    verdict: str

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def _pair_outcome(good: float | None, bad: float | None) -> float:
    if good is None or bad is None or good == bad:
        return 0.5
    return 1.0 if good > bad else 0.0


def qualification_verdict(accuracy: float, low: float, high: float, n: int, qualified: bool) -> str:
    """The qualification in words, its figures shown so that none reads as the other side of chance."""
    shown_low, shown_accuracy = ABOVE_CHANCE.reading(low), ABOVE_CHANCE.reading(accuracy)
    near = f" (lower bound {shown_low.near})" if shown_low.near else ""
    figures = (f"control accuracy {shown_accuracy.text}, 95% CI {shown_low.figure}–{high:.0%}{near}, "
               f"chance {CHANCE:.0%}, {n} prompts")
    if qualified:
        return (f"This judge can tell a right answer from a wrong one for this rubric ({figures}): "
                "its scores can be used.")
    if n < min_prompts_to_qualify():
        return (f"Too few control prompts to qualify any judge ({figures}): even a perfect judge needs "
                f"{min_prompts_to_qualify()} prompts with a reference answer, so its scores are not used by default. "
                "Judge a run whose prompt set has more reference answers.")
    if shown_accuracy.label == ABOVE:
        return (f"This judge has not shown that it can tell a right answer from a wrong one for this rubric "
                f"({figures}; the interval includes chance): its scores are not used by default.")
    return (f"This judge cannot tell a right answer from a wrong one for this rubric (control accuracy "
            f"{shown_accuracy.text}, chance {CHANCE:.0%}, {n} prompts): its scores are not used by default.")


def judge_qualification(store: Store, run_id: str, judge_ref: str, rubric: Rubric) -> Qualification | None:
    """How ``judge_ref`` did on the control answers of ``run_id`` under this rubric version, or ``None``
    when it judged none. Qualified = the Wilson 95% lower bound of control accuracy is above 50%."""
    controls = [j for j in queries.scores_for(store, Judgment, run_id, rubric.name, rubric.version,
                                              controls=True, judge_ref=judge_ref) if j.control is not None]
    if not controls:
        return None
    by_prompt: dict[str, dict[str, list[float | None]]] = defaultdict(lambda: defaultdict(list))
    for j in controls:
        side = "good" if j.control == "good" else "bad"
        by_prompt[j.prompt_id][side].append(overall_score(j.scores or {}) if j.status == "scored" else None)
    prompt_scores: list[float] = []
    gaps: list[float] = []
    for sides in by_prompt.values():
        pairs = [(good, bad) for good in sides["good"] for bad in sides["bad"]]
        if not pairs:
            continue
        prompt_scores.append(sum(_pair_outcome(g, b) for g, b in pairs) / len(pairs))
        gaps += [g - b for g, b in pairs if g is not None and b is not None]
    unscored = sum(j.status != "scored" for j in controls)
    n = len(prompt_scores)
    if n == 0:
        return Qualification(judge_ref, rubric.label, 0, 0, len(controls), unscored, None, None, None, None, CHANCE,
                             False, "No prompt has both a good and a bad control judged yet: judge the run to the "
                                    "end to see whether this judge can be trusted.")
    accuracy = sum(prompt_scores) / n
    low, high = wilson_interval(sum(prompt_scores), n)
    qualified = ABOVE_CHANCE.label(low) == ABOVE
    verdict = qualification_verdict(accuracy, low, high, n, qualified)
    if unscored:
        verdict += f" {unscored} of {len(controls)} control verdicts could not be read (counted as ties)."
    n_pairs = sum(len(s["good"]) * len(s["bad"]) for s in by_prompt.values())
    return Qualification(judge_ref, rubric.label, n, n_pairs, len(controls), unscored, accuracy, low, high,
                         sum(gaps) / len(gaps) if gaps else None, CHANCE, qualified, verdict)
