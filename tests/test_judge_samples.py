"""Several judge samples averaged with their spread, checked against numpy; unreadable samples are counted,
never averaged in as zeros."""

from __future__ import annotations

import numpy as np
import pytest

from core.grading.judge_samples import mean_and_spread


@pytest.mark.parametrize("seed", range(5))
def test_mean_and_spread_match_numpy(seed: int) -> None:
    scores = np.random.default_rng(seed).integers(1, 6, size=int(np.random.default_rng(seed).integers(2, 9)))
    spread = mean_and_spread(iter(scores.tolist()))  # any iterable, read once
    assert spread.mean == pytest.approx(scores.mean())
    assert spread.sd == pytest.approx(scores.std(ddof=1))
    assert (spread.low, spread.high, spread.n, spread.n_unreadable) == (scores.min(), scores.max(), scores.size, 0)


def test_unreadable_samples_are_counted_not_averaged() -> None:
    spread = mean_and_spread([5, None, 3, None])
    assert (spread.n, spread.n_unreadable, spread.mean, spread.low, spread.high) == (2, 2, 4.0, 3.0, 5.0)


def test_one_sample_has_no_spread_and_none_has_no_mean() -> None:
    assert mean_and_spread([4]).sd is None and mean_and_spread([4]).mean == 4.0
    nothing = mean_and_spread([None, None])
    assert (nothing.n, nothing.n_unreadable, nothing.mean, nothing.sd) == (0, 2, None, None)
    assert mean_and_spread([]).mean is None
