"""Which grades feed a decision (``core.grading.quality_source``): the one choice the Decide page and
``cli.py decide --quality`` share, with the same words (``none``, ``people``, ``judge:REF``), on real store files."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from cli import main
from core.decide import report
from core.grading import grading_items, install_presets, record_grade
from core.grading.judge_gate import judge_gate
from core.grading.presets import CONCISENESS, HELPFULNESS
from core.grading.quality_source import (
    NO_QUALITY,
    PEOPLE,
    DecisionQuality,
    QualitySource,
    quality_for_decision,
    quality_options,
)
from core.grading.rubric import Rubric, get_rubric, save_rubric
from core.grading.score_mean import score_mean
from store import Store, queries
from store.records import Decision, Judgment, Table
from tests.test_grading_items import make_run
from tests.test_grading_results import _judgments

JUDGE_REF = "judge:m"  # a model ref (endpoint "judge", model "m"); its source word is "judge:judge:m"
JUDGE = QualitySource("judge", JUDGE_REF)


@dataclass(frozen=True)
class Qualification:
    """Shaped like ``core.grading.controls.Qualification``: what a judge's control answers showed."""

    qualified: bool
    n_controls: int = 12
    accuracy: float | None = 0.92
    ci95_low: float | None = 0.7
    ci95_high: float | None = 0.99
    mean_gap: float | None = 2.5
    chance: float = 0.5
    verdict: str = "This judge tells right answers from wrong ones for this rubric (control accuracy 92%)."


QUALIFIED = Qualification(True)
UNQUALIFIED = Qualification(False, accuracy=0.52, ci95_low=0.3, ci95_high=0.7, mean_gap=0.1,
                            verdict="This judge cannot tell a right answer from a wrong one for this rubric "
                                    "(control accuracy 52%, chance 50%): its scores are not used by default.")


def _qualify(result: Qualification | None):
    """A ``qualify`` argument for ``quality_for_decision`` returning ``result`` for every run."""
    return lambda store, run_id, judge_ref, rubric: result


def _grade_all(store: Store, run_id: str, score_of: dict[str, int], grader: str = "Ana") -> None:
    rubric = get_rubric(store, HELPFULNESS.name)
    for item in grading_items(store, run_id):
        record_grade(store, run_id, item.item_id, grader, rubric, {"helpfulness": score_of[item.model_ref]})


def test_source_spellings_round_trip_and_a_bad_one_says_what_to_write() -> None:
    for text in ("people", "none", "judge:my-ollama:llama3.2"):
        assert str(QualitySource.parse(text)) == text
    assert QualitySource.parse("judge:my-ollama:llama3.2").judge_ref == "my-ollama:llama3.2"
    assert QualitySource.parse("judge:foundry-local:phi:4").judge_ref == "foundry-local:phi:4"  # keeps its colons
    for bad in ("the boss", "judge:nocolon", "judge:", "someone", ""):
        with pytest.raises(ValueError, match="use judge:SOURCE:MODEL_ID, people or none"):
            QualitySource.parse(bad)


def _graded_run(store: Store) -> tuple[str, Rubric, Rubric]:
    """Two models; a judge scored both under helpfulness, a person graded only model a."""
    helpful, concise = save_rubric(store, HELPFULNESS), save_rubric(store, CONCISENESS)
    run_id = make_run(store, [("a:m", "p", "long answer"), ("b:m", "p", "short")])
    items = {i.model_ref: i for i in grading_items(store, run_id)}
    queries.insert_many(store, [Judgment.build(
        {"run_id": run_id, "item_id": items[ref].item_id, "sample_id": items[ref].sample_id, "model_ref": ref,
         "prompt_id": "p", "judge_ref": JUDGE_REF, "rubric_name": helpful.name, "rubric_version": helpful.version,
         "status": "scored", "scores": {"helpfulness": score}, "response_chars": 5, "raw_replies": [],
         "created_at": "2026-03-01T10:00:02+00:00"}) for ref, score in (("a:m", 5), ("b:m", 2))])
    record_grade(store, run_id, items["a:m"].item_id, "ana", helpful, {"helpfulness": 4})
    return run_id, helpful, concise


def test_options_start_on_the_rubric_and_sources_that_hold_grades(store: Store) -> None:
    run_id, helpful, concise = _graded_run(store)
    options = quality_options(store, [run_id])
    assert [r.name for r in options.rubrics] == ["helpfulness", "conciseness"]  # graded first, not alphabetical
    assert options.sources == [JUDGE, PEOPLE]
    assert options.graded_sources(helpful) == [JUDGE, PEOPLE] and options.default_source(helpful) == JUDGE
    assert options.graded_sources(concise) == [] and options.default_source(concise) == NO_QUALITY
    assert quality_options(store, ["no-such-run"]).sources == [PEOPLE]


def test_the_gate_uses_a_qualified_judge_and_an_unqualified_one_only_with_a_reason() -> None:
    unchecked = "not checked"
    assert judge_gate("r", QUALIFIED, unchecked).use and judge_gate("r", QUALIFIED, unchecked).qualified
    assert judge_gate("r", QUALIFIED, unchecked, "because").override_reason is None  # nothing to override
    refused = judge_gate("r", UNQUALIFIED, unchecked)
    assert (refused.use, refused.qualified, refused.verdict) == (False, False, UNQUALIFIED.verdict)
    assert refused.as_record()["accuracy"] == 0.52 and refused.as_record()["qualified"] is False
    assert not judge_gate("r", UNQUALIFIED, unchecked, "   ").use  # a blank reason is no reason
    overridden = judge_gate("r", UNQUALIFIED, unchecked, " we checked ten answers by hand ")
    assert overridden.use and overridden.override_reason == "we checked ten answers by hand"
    never = judge_gate("r", None, unchecked)
    assert (never.use, never.verdict, never.figures) == (False, unchecked, None)
    assert judge_gate("r", None, unchecked, "why").use


def test_a_qualified_judge_gives_quality_with_its_agreement_people_without(store: Store) -> None:
    run_id, helpful, _ = _graded_run(store)
    judged = quality_for_decision(store, [run_id], str(JUDGE), helpful, qualify=_qualify(QUALIFIED))
    assert {ref: q["mean"] for ref, q in judged.quality.items()} == {"a:m": 5.0, "b:m": 2.0}
    assert judged.source is not None and list(judged.agreements) == [run_id]
    assert (judged.source["judge"], judged.source["rubric"]) == (JUDGE_REF, f"helpfulness v{helpful.version}")
    assert judged.source["agreement"]["verdict"] == judged.agreements[run_id].verdict
    assert judged.source["qualification"][run_id]["verdict"] == QUALIFIED.verdict
    assert "override_unqualified" not in judged.source and judged.held_back == []
    people = quality_for_decision(store, [run_id], PEOPLE, helpful)
    assert people.quality == {"a:m": {"mean": 4.0, "ci95_low": None, "ci95_high": None, "n": 1}}  # b: missing, not 0
    assert people.source == {"run_id": run_id, "rubric": f"helpfulness v{helpful.version}", "judge": "people"}
    assert people.agreements == {}


def test_a_decisions_quality_from_people_counts_answers_not_grades(store: Store) -> None:
    """One answer graded by two people is one answer: the decision's n and interval rest on answers."""
    helpful = save_rubric(store, HELPFULNESS)
    run_id = make_run(store, [("a:m", "capital", "Paris."), ("a:m", "haiku", "Leaves fall."),
                              ("a:m", "ladder-1", "One.")])
    first, second, third = sorted(grading_items(store, run_id), key=lambda i: i.prompt_id)
    for item, grader, score in ((first, "ana", 5), (first, "ben", 3), (second, "ana", 4), (third, "ana", 2)):
        record_grade(store, run_id, item.item_id, grader, helpful, {"helpfulness": score})
    quality = quality_for_decision(store, [run_id], PEOPLE, helpful).quality["a:m"]
    expected = score_mean([4.0, 4.0, 2.0])  # the first answer's two grades averaged first
    assert quality == {"mean": expected.mean, "ci95_low": expected.ci95_low, "ci95_high": expected.ci95_high, "n": 3}


def test_an_unqualified_or_unchecked_judge_is_held_back_unless_overridden_with_a_reason(store: Store) -> None:
    run_id, helpful, _ = _graded_run(store)
    for qualification in (UNQUALIFIED, None):  # None: never checked against control answers
        held = quality_for_decision(store, [run_id], JUDGE, helpful, qualify=_qualify(qualification))
        assert held.quality == {} and [g.run_id for g in held.held_back] == [run_id]
        assert "held back: the judge is not qualified" in (held.note or "")
        assert held.source is not None and held.source["qualification"][run_id]["qualified"] is False
    assert "has not been checked against control answers for helpfulness v1" in held.held_back[0].verdict
    reason = "Ana spot-checked 20 verdicts <b>by hand</b>"
    used = quality_for_decision(store, [run_id], JUDGE, helpful, override_reason=reason,
                                qualify=_qualify(UNQUALIFIED))
    assert {ref: q["mean"] for ref, q in used.quality.items()} == {"a:m": 5.0, "b:m": 2.0}
    assert used.held_back == [] and used.note is None
    assert used.source["override_unqualified"] == reason
    assert used.source["qualification"][run_id]["verdict"] == UNQUALIFIED.verdict
    # people need no qualification: the reason is not asked for and not recorded
    people = quality_for_decision(store, [run_id], PEOPLE, helpful, override_reason=reason)
    assert people.gates == {} and "override_unqualified" not in (people.source or {})


def test_none_leaves_quality_out_whatever_the_rubric(store: Store) -> None:
    run_id, helpful, _ = _graded_run(store)
    assert quality_for_decision(store, [run_id], "none", helpful) == DecisionQuality()
    assert quality_for_decision(store, [run_id], NO_QUALITY) == DecisionQuality()


def test_unscored_judgments_are_not_quality(store: Store) -> None:
    rubric = save_rubric(store, HELPFULNESS)
    run_id = make_run(store, [("a:m", "p", "x")])
    _judgments(store, rubric, run_id, [("a:m", None, 3)], judge=JUDGE_REF)
    judged = quality_for_decision(store, [run_id], JUDGE, rubric)
    assert judged.quality == {} and "missing, never 0" in (judged.note or "")


def test_people_grades_per_model_from_the_newest_graded_run(store: Store) -> None:
    install_presets(store)
    old = make_run(store, [("a:m", "capital", "Paris."), ("b:m", "capital", "Lyon.")])
    new = make_run(store, [("a:m", "capital", "It is Paris."), ("c:m", "capital", "Nice.")])
    store.update_where(Table.RUNS, {"created_at": "2026-04-01T00:00:00+00:00"}, run_id=new)
    _grade_all(store, old, {"a:m": 2, "b:m": 1})
    _grade_all(store, new, {"a:m": 5, "c:m": 3})

    result = quality_for_decision(store, [old, new], "people")  # rubric: the one holding the grades
    assert {ref: q["mean"] for ref, q in result.quality.items()} == {"a:m": 5, "b:m": 1, "c:m": 3}
    assert result.source == {"runs": {"a:m": new, "b:m": old, "c:m": new}, "rubric": "helpfulness v1",
                             "judge": "people"}
    assert result.note is None and result.agreements == {}

    single = quality_for_decision(store, [old], PEOPLE, HELPFULNESS.name)
    assert single.source == {"run_id": old, "rubric": "helpfulness v1", "judge": "people"}
    options = quality_options(store, [old])
    assert options.rubrics[0].name == HELPFULNESS.name and options.default_source(options.rubrics[0]) == PEOPLE


def test_no_source_no_grades_and_unknown_names_are_said_plainly(store: Store) -> None:
    install_presets(store)
    run_id = make_run(store, [("a:m", "capital", "Paris.")])
    assert quality_for_decision(store, [run_id], NO_QUALITY).quality == {}
    with pytest.raises(ValueError, match="No grades from people in runs .*grade them on the Grade page"):
        quality_for_decision(store, [run_id], PEOPLE)
    with pytest.raises(ValueError, match="No rubric named 'tone'"):
        quality_for_decision(store, [run_id], PEOPLE, "tone")
    with pytest.raises(ValueError, match="No run 'gone'"):
        quality_for_decision(store, ["gone"], PEOPLE)
    judged = quality_for_decision(store, [run_id], "judge:judge:fake-model", HELPFULNESS.name)
    assert judged.quality == {} and "quality is left out (missing, never 0)" in (judged.note or "")


def test_cli_decide_uses_people_grades_for_quality(capsys: pytest.CaptureFixture[str], store_file: Path,
                                                   tmp_path: Path) -> None:
    from tests.test_app_decide import _seed_run

    run_id = _seed_run(store_file)
    store = Store(store_file)
    install_presets(store)
    _grade_all(store, run_id, {"fast:fake-model": 2, "slow:fake-model": 5})
    out = tmp_path / "decision.json"
    code = main(["--db", str(store_file), "decide", "--runs", run_id, "--quality", "people", "--rubric",
                 HELPFULNESS.name, "--format", "json", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    record = json.loads(out.read_text())
    quality = {c["ref"]: (c["quality"] or {}).get("mean") for c in record["candidates"]["candidates"]}
    assert quality == {"fast:fake-model": 2, "slow:fake-model": 5}
    assert record["evidence"]["quality_source"] == {"run_id": run_id, "rubric": "helpfulness v1", "judge": "people"}
    assert record["weights_applied"]["quality"] > 0

    code = main(["--db", str(store_file), "decide", "--runs", run_id, "--quality", "judge:nobody:m",
                 "--format", "md", "--out", str(tmp_path / "d.md")])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error: No grades from judge:nobody:m") and err.count("\n") == 1


def _judge_all(store: Store, run_id: str, score_of: dict[str, int]) -> None:
    """Scored judgments by JUDGE_REF under helpfulness for every answer of the run."""
    rubric = get_rubric(store, HELPFULNESS.name)
    queries.insert_many(store, [Judgment.build(
        {"run_id": run_id, "item_id": item.item_id, "sample_id": item.sample_id, "model_ref": item.model_ref,
         "prompt_id": item.prompt_id, "judge_ref": JUDGE_REF, "rubric_name": rubric.name,
         "rubric_version": rubric.version, "status": "scored", "scores": {"helpfulness": score_of[item.model_ref]},
         "response_chars": item.response_chars, "raw_replies": ["{}"], "created_at": "2026-03-01T10:00:02+00:00"})
        for item in grading_items(store, run_id)])


def test_cli_decide_holds_back_an_unchecked_judge_and_quotes_the_override(
        capsys: pytest.CaptureFixture[str], store_file: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.test_app_decide import _seed_run

    run_id = _seed_run(store_file)
    store = Store(store_file)
    install_presets(store)
    _judge_all(store, run_id, {"fast:fake-model": 1, "slow:fake-model": 5})
    cli = [sys.executable, "cli.py", "--db", str(store_file), "decide", "--runs", run_id, "--quality",
           f"judge:{JUDGE_REF}", "--format", "md"]
    refused = subprocess.run([*cli, "--out", str(tmp_path / "no.md")], capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.startswith(f"error: The judge {JUDGE_REF} has not been checked against control answers")
    assert "--override-unqualified" in refused.stderr and refused.stderr.count("\n") == 1
    assert not (tmp_path / "no.md").exists()

    reason = "Ana read 20 verdicts <script>x</script> [ok](http://evil.example)"
    out = tmp_path / "d.md"
    used = subprocess.run([*cli, "--out", str(out), "--override-unqualified", reason], capture_output=True,
                          text=True, timeout=120)
    assert used.returncode == 0, used.stderr
    assert "has not been checked against control answers" in used.stderr  # the verdict still shown
    [decision] = queries.find(Store(store_file), Decision)
    assert decision.evidence["quality_source"]["override_unqualified"] == reason
    quality = {c["ref"]: c["quality"]["mean"] for c in decision.candidates["candidates"]}
    assert quality == {"fast:fake-model": 1.0, "slow:fake-model": 5.0}
    markdown = out.read_text()
    assert "judge that is not qualified for this rubric are used, because:** Ana read 20 verdicts" in markdown
    assert "<script>" not in markdown and r"\[ok\](http" in markdown
    html = report.to_html(decision.as_dict())
    assert "Ana read 20 verdicts &lt;script&gt;" in html and "<script>x" not in html

    wrong = main(["--db", str(store_file), "decide", "--runs", run_id, "--quality", "people",
                  "--override-unqualified", "why", "--format", "md", "--out", str(tmp_path / "p.md")])
    err = capsys.readouterr().err
    assert wrong == 1 and err.startswith("error: --override-unqualified lets an unqualified judge") and \
        err.count("\n") == 1
