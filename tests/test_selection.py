"""The selection framework: hand-computed rankings, constraints with reasons, the missing-data and
several-runs policies, Pareto, and sensitivity checked against a brute-force scan of ``rank``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from core.decide.candidates import Candidate, CandidateTable, candidate_table, candidate_table_from_store
from core.decide.pareto import pareto_quality_latency
from core.decide.ranking import contribution_frame, normalise, rank, ranking_frame
from core.decide.sensitivity import tornado_frame, weight_flips, win_probabilities
from core.decide.settings import CRITERIA, NORMALISATIONS, Constraints, SelectionSettings, default_criteria
from store import queries
from store.records import ModelInfo, Run


def model_entry(mean: float, p95: float, tps: float, *, peak: float | None = 1000.0, disk: float | None = 500.0,
                n: int = 12, status: str = "completed") -> dict[str, Any]:
    """A ``runs.models`` entry as the runner stores it (only the fields selection reads)."""
    metric = {"mean": mean, "p95": p95, "ci95_low": mean * 0.9, "ci95_high": mean * 1.1, "warning": None}
    return {"status": status, "error": None, "device": "CPU", "rss_peak_mb": peak, "rss_load_mb": None,
            "disk_mb": disk, "summary": {"n_counted": n, "tokens_estimated": False,
                                         "metrics": {"e2e_s": metric, "decode_tps": {"mean": tps, "ci95_low": tps - 1,
                                                                                     "ci95_high": tps + 1}}}}


def run_doc(run_id: str, created: str, models: dict[str, dict]) -> Run:
    """A finished benchmark run record with these ``runs.models`` entries."""
    return Run.build({"run_id": run_id, "kind": "benchmark", "status": "completed", "created_at": created,
                      "finished_at": created, "settings": {"rounds": 3, "warmup": 1}, "models": models,
                      "prompt_set": {"name": "RAG", "prompts": [{"id": "p1", "prompt": "One?"},
                                                                {"id": "p2", "prompt": "Two?"}]},
                      "environment": {"cpu": "Test CPU", "ram_gb": 16, "os": "Linux"}})


def specs(fields: dict[str, dict[str, Any]]) -> dict[str, ModelInfo]:
    """``core.models.specs.model_specs`` as it would read these per-model fields."""
    return {ref: ModelInfo(ref=ref, **f) for ref, f in fields.items()}


def cand(ref: str, latency: float | None = 1.0, tps: float | None = 10.0, quality: float | None = 3.0,
         memory: float | None = 1000.0, disk: float | None = 500.0, license: str | None = "mit",
         p95: float | None = None) -> Candidate:
    return Candidate(ref=ref, run_id="r1", latency_mean_s=latency, latency_p95_s=p95 if p95 is not None else latency,
                     throughput_tps=tps, memory_mb=memory, disk_mb=disk, license=license, n_samples=12,
                     quality=None if quality is None else {"mean": quality, "ci95_low": quality - .3,
                                                            "ci95_high": quality + .3, "n": 10})


def settings(weights: dict[str, float], **kw: Any) -> SelectionSettings:
    return SelectionSettings(criteria=default_criteria(weights), **kw)


THREE = CandidateTable((cand("a:x", 1.0, 10, 3.0), cand("b:y", 2.0, 30, 4.0), cand("c:z", 3.0, 20, 5.0)))


# ------------------------------------------------------------------ ranking


def test_min_max_ranking_matches_hand_computation_with_weights_normalised():
    # shares 50/25/25: latency a 1, b .5, c 0; tokens/s a 0, b 1, c .5; quality on its 1-5 scale
    # ((mean - 1) / 4): a 3 -> .5, b 4 -> .75, c 5 -> 1. Scores: a 50 + 0 + 12.5, b 25 + 25 + 18.75, c 0 + 12.5 + 25
    ranking = rank(THREE, settings({"latency": 20, "throughput": 10, "quality": 10}))
    assert [(m.ref, m.rank) for m in ranking.ranked] == [("b:y", 1), ("a:x", 2), ("c:z", 3)]
    assert [m.score for m in ranking.ranked] == pytest.approx([68.75, 62.5, 37.5])
    b = ranking.ranked[0]
    assert b.contributions == pytest.approx({"latency": 25, "throughput": 25, "quality": 18.75, "memory": 0,
                                             "footprint": 0, "license": 0})
    assert sum(b.contributions.values()) == pytest.approx(b.score)
    assert ranking.weights["latency"] == pytest.approx(0.5)
    same = rank(THREE, settings({"latency": 2, "throughput": 1, "quality": 1}))
    assert [m.score for m in same.ranked] == pytest.approx([68.75, 62.5, 37.5])


def test_ranking_frames_for_table_and_stacked_bar():
    ranking = rank(THREE, settings({"latency": 2, "throughput": 1, "quality": 1}))
    frame = ranking_frame(ranking)
    assert list(frame["model"]) == ["b:y", "a:x", "c:z"]
    assert frame.loc[0, "latency points"] == pytest.approx(25)
    long = contribution_frame(ranking)
    assert len(long) == 3 * len(CRITERIA)
    assert long.groupby("model", sort=False)["points"].sum().tolist() == pytest.approx([68.75, 62.5, 37.5])


def test_normalisations():
    assert normalise([1.0, None, 3.0, 2.0], higher_is_better=True) == [0.0, None, 1.0, 0.5]
    assert normalise([1.0, 3.0], higher_is_better=False) == [1.0, 0.0]
    assert normalise([2.0, 2.0], higher_is_better=True) == [1.0, 1.0]  # no spread: nobody is worse
    assert normalise([1.0, 2.0, 2.0, 3.0], True, "rank") == pytest.approx([0.0, 0.5, 0.5, 1.0])
    assert normalise([1.0, 2.0, 4.0], False, "relative") == pytest.approx([1.0, 0.5, 0.25])
    assert normalise([5.0, 10.0], True, "relative") == pytest.approx([0.5, 1.0])
    assert normalise([None, None], True) == [None, None]


def test_rank_normalisation_changes_the_result_as_documented():
    table = CandidateTable((cand("a:x", latency=1.0), cand("b:y", latency=1.1), cand("c:z", latency=5.0)))
    ranking = rank(table, SelectionSettings(criteria=default_criteria({"latency": 1}, "rank")))
    assert {m.ref: m.score for m in ranking.ranked} == pytest.approx({"a:x": 100, "b:y": 50, "c:z": 0})


def test_license_scores_and_unknown_license_is_missing_not_zero():
    table = CandidateTable((cand("a:x", license="Apache 2.0"), cand("b:y", license="CC-BY-NC-4.0"),
                            cand("c:z", license="some-custom")))
    ranking = rank(table, settings({"license": 1, "latency": 1}))
    by = {m.ref: m for m in ranking.ranked}
    assert by["a:x"].values["license"] == 1.0 and by["b:y"].values["license"] == 0.0
    assert by["c:z"].values["license"] is None and "license" in ranking.dropped  # missing, so dropped by default


def test_invalid_weights_are_refused():
    with pytest.raises(ValueError, match="non-negative"):
        default_criteria({"latency": -1})
    with pytest.raises(ValueError, match="at least one criterion"):
        settings({"latency": 0})
    with pytest.raises(ValueError, match="Unknown criteria"):
        default_criteria({"speed": 1})


# ------------------------------------------------------------------ constraints


def test_every_failed_constraint_is_listed_in_plain_language():
    bad = cand("big:model", latency=1.5, p95=2.31, memory=9000, disk=5000, license="cc-by-nc-4.0", quality=2.5)
    table = CandidateTable((bad, cand("ok:model", p95=1.0)))
    limits = Constraints(max_memory_mb=4096, max_disk_mb=4000, max_p95_latency_s=2.0, min_quality=3.0,
                         allowed_licenses=("apache-2.0", "MIT"))
    ranking = rank(table, settings({"latency": 1}, constraints=limits))
    assert [m.ref for m in ranking.ranked] == ["ok:model"]
    (excluded,) = ranking.excluded
    assert excluded.ref == "big:model"
    assert excluded.reasons == (
        "memory 9,000 MB exceeds the 4,096 MB limit",
        "disk footprint 5,000 MB exceeds the 4,000 MB limit",
        "p95 latency 2.31 s exceeds the 2.00 s limit",
        "quality 2.50 / 5 is below the 3.00 / 5 minimum",
        "license 'cc-by-nc-4.0' is not in the allowed set (apache-2.0, MIT)",
    )


def test_unknown_value_fails_a_constraint_unless_allowed():
    table = CandidateTable((cand("endpoint:m", memory=None, license=None), cand("ok:m")))
    limits = Constraints(max_memory_mb=4096, allowed_licenses=("mit",))
    (excluded,) = rank(table, settings({"latency": 1}, constraints=limits)).excluded
    assert excluded.reasons == ("memory is unknown, so the 4,096 MB limit cannot be checked",
                                "license is unknown, so it cannot be checked against the allowed set (mit)")
    lenient = Constraints(max_memory_mb=4096, allowed_licenses=("mit",), unknown_passes=True)
    assert not rank(table, settings({"latency": 1}, constraints=lenient)).excluded


# ------------------------------------------------------------------ missing data


def test_criterion_missing_for_everyone_is_dropped_and_its_weight_spread():
    table = CandidateTable((cand("a:x", 1.0, 10, None), cand("b:y", 2.0, 30, None)))
    ranking = rank(table, settings({"latency": 1, "throughput": 1, "quality": 2}))
    assert "quality" in ranking.dropped and "50%" in ranking.dropped["quality"]
    assert ranking.weights == pytest.approx({"latency": .5, "throughput": .5, "quality": 0, "memory": 0,
                                             "footprint": 0, "license": 0})
    assert [m.score for m in ranking.ranked] == pytest.approx([50.0, 50.0])
    assert [m.ref for m in ranking.ranked] == ["a:x", "b:y"]  # a tie is broken by reference


def test_a_model_missing_a_criterion_follows_the_chosen_rule_never_ranks_on_less_evidence():
    # c is the fastest by far but has no quality grade: the old policy scored it on latency alone (100)
    # and ranked it last; now the product owner's rule decides, and the order is always the order of scores
    table = CandidateTable((cand("a:x", 2.0, quality=5.0), cand("b:y", 3.0, quality=4.0),
                            cand("c:z", 1.0, quality=None)))
    dropped = rank(table, settings({"latency": 1, "quality": 1}))  # the default rule: drop it for everyone
    assert "quality" in dropped.dropped and "c:z" in dropped.dropped["quality"]
    assert [m.ref for m in dropped.ranked] == ["c:z", "a:x", "b:y"]
    assert [m.score for m in dropped.ranked] == pytest.approx([100.0, 50.0, 0.0])
    left_out = rank(table, settings({"latency": 1, "quality": 1}, missing_data="exclude"))
    assert [m.ref for m in left_out.ranked] == ["a:x", "b:y"]
    assert left_out.excluded[0].ref == "c:z" and "no quality figure" in left_out.excluded[0].reasons[0]
    assert [m.score for m in left_out.ranked] == pytest.approx([100.0, 37.5])


# ------------------------------------------------------------------ candidates from runs


def test_newest_usable_run_wins_and_other_runs_are_noted():
    old = run_doc("old", "2026-01-01T00:00:00+00:00", {"a:x": model_entry(2.0, 3.0, 10), "b:y": model_entry(1, 2, 5)})
    new = run_doc("new", "2026-02-01T00:00:00+00:00", {"a:x": model_entry(1.0, 1.5, 20),
                                                       "b:y": {"status": "failed", "error": "failed to load: OOM"}})
    table = candidate_table([old, new], specs({"a:x": {"license": "mit", "size_mb": 800}}),
                            {"a:x": {"mean": 4.0, "n": 8}})
    by = {c.ref: c for c in table.candidates}
    assert by["a:x"].run_id == "new" and by["a:x"].latency_mean_s == 1.0
    assert by["b:y"].run_id == "old"  # its newest run failed, so the newest run WITH results counts
    assert by["a:x"].quality == {"mean": 4.0, "n": 8} and by["a:x"].license == "mit"
    assert any("a:x: figures from run new (the newest run with results); also in old" in n for n in table.notes)
    assert [r["run_id"] for r in table.runs] == ["new", "old"]
    chosen = candidate_table([old, new], choose={"a:x": "old"})
    assert {c.ref: c.run_id for c in chosen.candidates}["a:x"] == "old"
    with pytest.raises(ValueError, match="no usable results for b:y"):
        candidate_table([old, new], choose={"b:y": "new"})


def test_model_without_results_is_unavailable_with_its_error_and_disk_falls_back_to_metadata():
    run = run_doc("r", "2026-01-01T00:00:00+00:00", {"a:x": model_entry(1, 2, 10, disk=None, peak=None),
                                                     "b:y": {"status": "failed", "error": "endpoint unreachable"}})
    table = candidate_table([run], specs({"a:x": {"size_mb": 777}}))
    assert table.unavailable[0].ref == "b:y"
    assert "endpoint unreachable" in table.unavailable[0].reasons[0]
    (a,) = table.candidates
    assert (a.disk_mb, a.disk_source, a.memory_mb, a.memory_source) == (777, "metadata", None, None)
    assert rank(table, settings({"latency": 1})).excluded[0].ref == "b:y"


def test_candidate_table_from_store(store):
    queries.insert(store, run_doc("r1", "2026-01-01T00:00:00+00:00", {"a:x": model_entry(1, 2, 10)}))
    queries.insert(store, ModelInfo(ref="a:x", license="apache-2.0", size_mb=100))
    table = candidate_table_from_store(store, ["r1"])
    assert table.candidates[0].license == "apache-2.0"
    with pytest.raises(ValueError, match="No run 'nope'"):
        candidate_table_from_store(store, ["nope"])


def test_settings_and_table_round_trip_through_plain_dicts():
    s = settings({"latency": 3, "quality": 1}, latency_stat="p95",
                 constraints=Constraints(max_memory_mb=100, allowed_licenses=("mit",)))
    assert SelectionSettings.from_dict(s.as_dict()) == s
    assert CandidateTable.from_dict(THREE.as_dict()) == THREE


def test_latency_statistic_is_configurable():
    table = CandidateTable((cand("a:x", latency=1.0, p95=5.0), cand("b:y", latency=2.0, p95=2.5)))
    assert rank(table, settings({"latency": 1})).winner == "a:x"
    assert rank(table, settings({"latency": 1}, latency_stat="p95")).winner == "b:y"


# ------------------------------------------------------------------ Pareto


def test_pareto_frontier_of_quality_against_latency():
    table = CandidateTable((cand("a:x", 1.0, quality=4.0), cand("b:y", 2.0, quality=3.0), cand("c:z", 3.0, quality=5.0),
                            cand("d:w", 3.5, quality=5.0), cand("e:v", 0.5, quality=None)))
    pareto = pareto_quality_latency(rank(table, settings({"latency": 1, "quality": 1})))
    dominated = {p.ref: p.dominated_by for p in pareto.points}
    assert dominated == {"a:x": (), "b:y": ("a:x",), "c:z": (), "d:w": ("c:z",)}
    assert {p.ref for p in pareto.points if p.on_frontier} == {"a:x", "c:z"}
    assert pareto.not_plotted == {"e:v": "no quality grades"}


def test_two_models_equal_on_both_axes_do_not_dominate_each_other():
    table = CandidateTable((cand("a:x", 1.5, quality=4.0), cand("b:y", 1.5, quality=4.0),
                            cand("c:z", 2.0, quality=4.0)))
    pareto = pareto_quality_latency(rank(table, settings({"latency": 1, "quality": 1})))
    dominated = {p.ref: p.dominated_by for p in pareto.points}
    assert dominated == {"a:x": (), "b:y": (), "c:z": ("a:x", "b:y")}  # equal twins both stay on the frontier


# ------------------------------------------------------------------ sensitivity


def test_weight_flip_threshold_hand_computed():
    # a is best on latency, b on quality (1/5 and 5/5: 0 and 1 on the scale); latency 60% -> a wins 60 to 40,
    # the tie is at 50%
    table = CandidateTable((cand("a:x", latency=1.0, quality=1.0), cand("b:y", latency=2.0, quality=5.0)))
    flips = {f.criterion: f for f in weight_flips(rank(table, settings({"latency": 60, "quality": 40})))}
    assert flips["latency"].lower == pytest.approx(0.5, abs=1e-5) and flips["latency"].lower_winner == "b:y"
    assert flips["latency"].upper is None
    assert flips["quality"].upper == pytest.approx(0.5, abs=1e-5) and flips["quality"].upper_winner == "b:y"
    assert flips["quality"].lower is None
    frame = tornado_frame(tuple(flips.values()))
    assert list(frame["criterion"][:2]) == ["Latency", "Quality"]  # both 10 points from a flip, the rest never
    assert frame.loc[0, "down (points)"] == pytest.approx(10, abs=1e-3)
    assert frame.loc[1, "up (points)"] == pytest.approx(10, abs=1e-3)


def _winner_with_share(table: CandidateTable, base: dict[str, float], key: str, share: float) -> str | None:
    """Brute force: re-rank from scratch with ``key`` at ``share`` and the others in their proportions."""
    rest = sum(v for k, v in base.items() if k != key)
    weights = {k: (share if k == key else (1 - share) * v / rest) for k, v in base.items()}
    return rank(table, settings(weights)).winner


def test_weight_flips_agree_with_a_brute_force_scan_of_rank():
    rng = np.random.default_rng(7)
    table = CandidateTable(tuple(
        cand(f"m:{i}", latency=float(rng.uniform(0.5, 3)), tps=float(rng.uniform(5, 50)),
             quality=None if i == 4 else float(rng.uniform(2, 5)), memory=float(rng.uniform(300, 4000)),
             disk=float(rng.uniform(100, 3000)))
        for i in range(5)))
    base = {"latency": 30, "throughput": 20, "memory": 15, "quality": 30, "footprint": 5, "license": 0}
    ranking = rank(table, settings(base))
    assert "quality" in ranking.dropped  # m:4 has none: dropped for everyone (the default rule)
    shares = ranking.weights
    grid = np.linspace(0, 1, 201)
    step = grid[1]
    for flip in weight_flips(ranking):
        current = shares[flip.criterion]
        winners = [_winner_with_share(table, shares, flip.criterion, s) for s in grid]
        above = [s for s, w in zip(grid, winners, strict=True) if s > current and w != ranking.winner]
        below = [s for s, w in zip(grid, winners, strict=True) if s < current and w != ranking.winner]
        if above:
            assert flip.upper is not None and above[0] - step <= flip.upper <= above[0] + 1e-6
            assert flip.upper_winner == winners[list(grid).index(above[0])]
        else:
            assert flip.upper is None or flip.upper > grid[-2]
        if below:
            assert flip.lower is not None and below[-1] - 1e-6 <= flip.lower <= below[-1] + step
        else:
            assert flip.lower is None or flip.lower < grid[1]


def test_win_probabilities_are_seeded_and_sane():
    dominant = CandidateTable((cand("best:m", 0.5, 50, 5.0, 100, 100), cand("mid:m", 1.0, 30, 4.0, 200, 200),
                               cand("low:m", 2.0, 10, 3.0, 400, 400)))
    win = win_probabilities(rank(dominant, SelectionSettings()), draws=500, seed=3)
    assert win.probabilities == {"best:m": 1.0, "low:m": 0.0, "mid:m": 0.0}
    close = CandidateTable((cand("a:x", latency=1.0, quality=1.0), cand("b:y", latency=2.0, quality=5.0)))
    ranking = rank(close, settings({"latency": 52, "quality": 48}))
    first = win_probabilities(ranking, draws=1000, seed=11)
    assert first == win_probabilities(ranking, draws=1000, seed=11)
    assert sum(first.probabilities.values()) == pytest.approx(1.0)
    assert 0.3 < first.probabilities["a:x"] < 0.9  # near the tie the choice is a coin toss, leaning to a
    tight = win_probabilities(ranking, draws=1000, seed=11, concentration=5000)
    assert tight.probabilities["a:x"] > first.probabilities["a:x"]


def test_quality_and_license_score_on_their_absolute_scale_not_min_max():
    """Every model at 1/5 earns no quality points (minmax gave each the full points); quality points are
    weight x (mean - 1) / 4 whatever the normalisation, and a license score is already 0..1."""
    poor = CandidateTable((cand("a:x", latency=1.0, quality=1.0), cand("b:y", latency=2.0, quality=1.0)))
    for method in NORMALISATIONS:
        ranking = rank(poor, SelectionSettings(criteria=default_criteria({"latency": 1, "quality": 1}, method)))
        assert {m.ref: m.contributions["quality"] for m in ranking.ranked} == {"a:x": 0.0, "b:y": 0.0}
    mixed = CandidateTable((cand("a:x", quality=2.0), cand("b:y", quality=4.5)))
    by = {m.ref: m for m in rank(mixed, settings({"quality": 3, "latency": 1})).ranked}
    assert by["a:x"].normalised["quality"] == pytest.approx(0.25) and by["b:y"].normalised["quality"] == 0.875
    assert by["b:y"].contributions["quality"] == pytest.approx(75 * 0.875)  # weight share x (mean - 1) / 4
    llamas = CandidateTable((cand("a:x", license="llama3"), cand("b:y", license="llama3.1")))
    assert [m.normalised["license"] for m in rank(llamas, settings({"license": 1})).ranked] == [0.5, 0.5]
