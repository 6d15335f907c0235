"""Measurement noise in the ranking (issue 12, defect 6): win probabilities resample the measured figures
as well as the weights, and a lead inside the noise is called a statistical tie, checked by seeded
simulation against known truth."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from core.decide.candidates import Candidate, CandidateTable, MeasuredSamples, candidate_table_from_store
from core.decide.noise import small_sample_factor
from core.decide.ranking import rank
from core.decide.sensitivity import CONCENTRATION, DRAWS, lead_verdict, win_probabilities
from core.decide.settings import SelectionSettings
from store import Store
from store.records import Run
from tests.test_selection import cand, model_entry, run_doc, settings

DEFAULT = SelectionSettings()


def measured(ref: str, rng: np.random.Generator, *, n: int = 12, latency: float = 1.0, tps: float = 30.0,
             quality: float = 3.5, answers: int = 12) -> tuple[Candidate, MeasuredSamples]:
    """A model measured on ``n`` requests (lognormal latencies, normal rates) and graded on ``answers`` answers
    (1-5), its figures and intervals computed as the benchmark and the grading would."""
    e2e = latency * rng.lognormal(0.0, 0.3, n)
    rates = rng.normal(tps, 0.1 * tps, n)
    scores = np.clip(np.round(rng.normal(quality, 1.0, answers)), 1, 5)
    half = stats.t.ppf(0.975, answers - 1) * scores.std(ddof=1) / np.sqrt(answers)
    candidate = Candidate(ref=ref, run_id="r", latency_mean_s=float(e2e.mean()),
                          latency_p95_s=float(np.percentile(e2e, 95)), throughput_tps=float(rates.mean()),
                          n_samples=n, memory_mb=1000.0, disk_mb=500.0, license="mit",
                          quality={"mean": float(scores.mean()), "ci95_low": float(scores.mean() - half),
                                   "ci95_high": float(scores.mean() + half), "n": answers})
    return candidate, MeasuredSamples(tuple(e2e), tuple(rates))


def table_of(*models: tuple[Candidate, MeasuredSamples]) -> CandidateTable:
    return CandidateTable(tuple(c for c, _ in models), samples={c.ref: s for c, s in models})


def one_percent_apart() -> CandidateTable:
    """The issue's case: two models 1% apart on every figure, all within each other's intervals."""
    rng = np.random.default_rng(2)
    base = rng.lognormal(0.0, 0.3, 12)
    rates = rng.normal(30, 3, 12)
    a = Candidate(ref="a:m", latency_mean_s=float(base.mean()), latency_p95_s=float(np.percentile(base, 95)),
                  throughput_tps=float(rates.mean()), n_samples=12, memory_mb=1000.0, disk_mb=500.0, license="mit",
                  quality={"mean": 4.0, "ci95_low": 3.6, "ci95_high": 4.4, "n": 12})
    slow = base * 1.01
    b = Candidate(ref="b:m", latency_mean_s=float(slow.mean()), latency_p95_s=float(np.percentile(slow, 95)),
                  throughput_tps=float(rates.mean() * 0.99), n_samples=12, memory_mb=1000.0, disk_mb=500.0,
                  license="mit", quality={"mean": 3.96, "ci95_low": 3.56, "ci95_high": 4.36, "n": 12})
    return CandidateTable((a, b), samples={"a:m": MeasuredSamples(tuple(base), tuple(rates)),
                                           "b:m": MeasuredSamples(tuple(slow), tuple(rates * 0.99))})


def test_two_models_one_percent_apart_are_a_statistical_tie_not_a_winner():
    table = one_percent_apart()
    ranking = rank(table, DEFAULT)
    assert ranking.winner == "a:m" and ranking.ranked[0].score - ranking.ranked[1].score > 30  # minmax magnifies 1%
    verdict = lead_verdict(ranking, table, DEFAULT)
    assert verdict is not None and verdict.tie and verdict.tied == ("b:m",)
    assert verdict.sentence().startswith("Statistical tie between a:m and b:m: a:m leads b:m by ")
    assert "95% CI -" in verdict.sentence() and "under measurement noise" in verdict.sentence()
    win = win_probabilities(ranking, table, DEFAULT)
    assert win.noise and 0.2 < win.probabilities["a:m"] < 0.8  # no longer a confident 100% (or 66%)


def test_a_clearly_better_model_is_named_the_winner():
    rng = np.random.default_rng(5)
    table = table_of(measured("fast:m", rng, latency=0.5, tps=60, quality=4.5),
                     measured("slow:m", rng, latency=1.0, tps=30, quality=3.0))
    verdict = lead_verdict(rank(table, DEFAULT), table, DEFAULT)
    assert verdict is not None and not verdict.tie and verdict.stays_first > 0.99
    assert verdict.sentence().startswith("fast:m ranks first: it leads slow:m by ")


def test_a_three_way_tie_names_every_model_within_the_noise():
    rng = np.random.default_rng(8)
    table = table_of(*(measured(f"m:{i}", rng) for i in range(3)), measured("slow:m", rng, latency=3, tps=10,
                                                                            quality=2))
    verdict = lead_verdict(rank(table, DEFAULT), table, DEFAULT)
    assert verdict is not None and set(verdict.tied) >= {"m:0", "m:1", "m:2"} - {verdict.leader}
    assert "slow:m" not in verdict.tied
    assert verdict.sentence().startswith("Statistical tie between ")


def _false_winner_rate(n: int, datasets: int, stat: str = "mean") -> float:
    chosen = SelectionSettings(latency_stat=stat)
    rng = np.random.default_rng(20260)
    named = 0
    for i in range(datasets):
        table = table_of(measured("a:m", rng, n=n), measured("b:m", rng, n=n))
        verdict = lead_verdict(rank(table, chosen), table, chosen, draws=DRAWS, seed=i)
        named += not verdict.tie
    return named / datasets


def test_two_truly_identical_models_get_a_named_winner_at_most_5_percent_of_the_time():
    """Seeded simulation: two models with the same true latency, tokens/s and quality, measured on 12
    requests and graded on 12 answers each, 300 datasets."""
    rate = _false_winner_rate(12, 300)
    assert rate <= 0.05, f"false-winner rate {rate:.1%}"
    print(f"false-winner rate with two identical models, n=12: {rate:.1%}")


def test_power_to_name_a_model_25_percent_faster():
    rng = np.random.default_rng(77)
    named = 0
    for i in range(100):
        table = table_of(measured("fast:m", rng, latency=0.8, tps=37.5), measured("slow:m", rng))
        verdict = lead_verdict(rank(table, DEFAULT), table, DEFAULT, seed=i)
        named += not verdict.tie and verdict.leader == "fast:m"
    assert named >= 35, f"power {named}%"  # measured: 42%
    print(f"power for a model 25% faster (latency and tokens/s), same quality, n=12: {named}%")


# ------------------------------------------------------------------ the constants behind the probabilities


def test_draws_and_concentration_are_pinned_and_the_weights_recomputed_independently():
    """Without samples the only randomness is the weights: one Dirichlet(CONCENTRATION x weights) call of
    DRAWS rows from ``default_rng(seed)``; recomputed here with numpy alone, exactly."""
    assert (DRAWS, CONCENTRATION) == (2000, 50.0)
    table = CandidateTable((cand("a:x", latency=1.0, quality=1.0), cand("b:y", latency=2.0, quality=5.0)))
    ranking = rank(table, settings({"latency": 55, "quality": 45}))
    win = win_probabilities(ranking, seed=4)
    weights = np.random.default_rng(4).dirichlet(50.0 * np.array([0.55, 0.45]), size=2000)
    a_wins = weights[:, 0] * 1.0 > weights[:, 1] * 1.0  # a: latency 1, quality 0; b: latency 0, quality 1
    assert (win.draws, win.concentration) == (2000, 50.0)
    assert win.probabilities["a:x"] == pytest.approx(a_wins.mean(), abs=1e-12)
    exact = stats.beta(50 * 0.55, 50 * 0.45).sf(0.5)  # P(latency share > 1/2)
    assert win.probabilities["a:x"] == pytest.approx(exact, abs=3 * np.sqrt(exact * (1 - exact) / 2000))


def test_draws_are_widened_to_a_student_t_interval():
    assert small_sample_factor(12) == pytest.approx(np.sqrt(12 / 11) * stats.t.ppf(0.975, 11) / stats.norm.ppf(0.975),
                                                    rel=1e-4)


# ------------------------------------------------------------------ samples from the store


def test_the_store_table_carries_the_counted_samples_but_the_record_does_not(store: Store):
    from store import queries
    from store.records import Sample

    run: Run = run_doc("run-1", "2026-03-01T10:00:00+00:00", {"a:m": model_entry(1.0, 1.5, 30)})
    queries.insert(store, run)
    base = {"run_id": "run-1", "model_ref": "a:m", "prompt_id": "p1", "created_at": "2026-03-01T10:00:00+00:00",
            "concurrency": 1, "error": None, "warmup": False}
    docs = [base | {"round": -1, "warmup": True, "e2e_s": 9.0, "decode_tps": 1.0},
            base | {"round": 0, "e2e_s": 1.0, "decode_tps": 30.0},
            base | {"round": 1, "e2e_s": 1.2, "decode_tps": 99999.0, "decode_bunched": True},
            base | {"round": 2, "error": "timeout"}]
    store.insert_many(Sample.TABLE, docs)
    table = candidate_table_from_store(store, ["run-1"])
    assert table.samples["a:m"] == MeasuredSamples((1.0, 1.2), (30.0,))
    assert "samples" not in table.as_dict() and "1.2" not in str(table.as_dict()["candidates"])


# ------------------------------------------------------------------ the record and its exports


def test_the_record_and_every_text_export_call_the_tie_a_tie():
    from core.decide.decision import build_decision
    from core.decide.report import to_csv, to_markdown

    record = build_decision(one_percent_apart(), DEFAULT, title="Twins", draws=DRAWS)
    lead = record["sensitivity"]["lead"]
    assert lead["tied"] == ["b:m"] and lead["sentence"].startswith("Statistical tie between a:m and b:m")
    assert record["sensitivity"]["noise"] is True and record["sensitivity"]["draws"] == DRAWS
    text = to_markdown(record)
    assert "Statistical tie between a:m and b:m" in text and "The evidence does not separate the tied models" in text
    assert "n=12, 95% CI" in text  # every ranked figure with its n and interval
    rows = {r.split(",")[2]: r for r in to_csv(record).splitlines()[1:]}
    assert rows["a:m"].split(",")[6] == "yes"  # statistical_tie_with_top


def test_a_record_stored_before_the_noise_verdict_still_exports():
    from core.decide.charts import record_charts
    from core.decide.decision import build_decision
    from core.decide.report import to_csv, to_markdown

    record = build_decision(one_percent_apart(), DEFAULT, title="Old", draws=200)
    del record["sensitivity"]["lead"], record["sensitivity"]["noise"], record["settings"]["missing_data"]
    for m in record["ranked"]:
        del m["evidence"], m["entered"]
        m |= {"complete": True, "coverage": 1.0, "missing": []}
    assert "a:m ranks first with" in to_markdown(record)
    assert to_csv(record) and record_charts(record).win
