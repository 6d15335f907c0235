"""The Grade page's Pairwise tab through AppTest, over a real store file and a scripted judge server: starting
a pairwise job, then the consistency rate (with n and interval), win rates per pair with intervals and the
ranking; a judge that always names Response A is shown as exactly that."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from components.grading_pairwise import NO_STRENGTH_INTERVAL
from core.grading import get_rubric, install_presets, start_pairwise
from core.models.sources import Sources
from store import Store
from store.records import JobKinds
from tests.conftest import ended_job, open_app
from tests.test_grading_items import make_run
from tests.test_grading_judge import JUDGE, _serve, _wait
from tests.test_grading_pairwise import ANSWERS, PROMPTS, always_a, fact_judge


@pytest.fixture
def app(app_store: Path) -> AppTest:
    return open_app("app_pages/grade.py")


def _open_pairwise(at: AppTest) -> AppTest:
    at.session_state["grade-tab"] = "Pairwise"
    return at.run()


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def _table(at: AppTest, column: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _finished_job(store_file: Path, timeout_s: float = 30) -> dict:
    return ended_job(store_file, JobKinds.PAIRWISE, timeout_s)


def test_pairwise_from_the_page_shows_consistency_win_rates_and_ranking(app: AppTest, store_file: Path) -> None:
    store = Store(store_file)
    make_run(store, ANSWERS, prompts=PROMPTS)
    with _serve(store, fact_judge):
        _open_pairwise(app)
        assert not app.exception
        assert "No pairwise verdicts with helpfulness v1" in _texts(app.info)
        # the judge tab's suggestion (the most capable model that is not a candidate) is preselected here too
        assert app.selectbox(key="grade-pairwise-judge").value == JUDGE
        app.button(key="grade-pairwise-start").click().run()
        assert not app.exception
        job = _finished_job(store_file)
    assert job["state"] == "completed", job
    app.run()
    assert not app.exception
    assert "Compared 3 model pairs over 4 prompts" in _texts(app.success)
    metrics = {m.label: m.value for m in app.metric}
    assert (metrics["Position consistency"], metrics["Named Response A"], metrics["Unreadable replies"]) == (
        "100%", "50%", "0%")
    assert "Position consistency 12 of 12, 95% interval 74%–100%" in _texts(app.caption)
    assert "the judge looks at the answers, not at their order" in _texts(app.success)
    rates = _table(app, "win rate").set_index(["model", "against"])
    assert rates.loc[("a:m", "b:m"), "win rate"] == "100%" and rates.loc[("a:m", "b:m"), "prompts"] == 4
    assert rates.loc[("a:m", "b:m"), "95% interval"] == "40%–100%"
    assert rates.loc[("a:m", "c:m"), "ties"] == 2
    strengths = _table(app, "strength")
    assert list(strengths["model"]) == ["a:m", "c:m", "b:m"]
    assert list(strengths["comparisons"]) == [8, 8, 8]  # each model: 4 prompts against each of two others
    assert set(strengths["95% interval"]) == {NO_STRENGTH_INTERVAL}  # no interval, and the row says why
    assert "named Response A in 8 of 16 verdicts, 95% interval 25%–75%" in _texts(app.caption)


def test_a_position_biased_judge_is_shown_plainly(app: AppTest, store_file: Path) -> None:
    store = Store(store_file)
    run_id = make_run(store, ANSWERS, prompts=PROMPTS)
    install_presets(store)
    rubric = get_rubric(store, "helpfulness")
    assert rubric is not None
    with _serve(store, always_a):
        assert _wait(store, start_pairwise(Sources(store, None), store, run_id, JUDGE, rubric)).state == "completed"
    _open_pairwise(app)
    assert not app.exception
    metrics = {m.label: m.value for m in app.metric}
    assert (metrics["Position consistency"], metrics["Named Response A"]) == ("0%", "100%")
    assert "mostly follows the position, not the content" in _texts(app.warning)
    rates = _table(app, "win rate")
    assert set(rates["95% interval"]) == {"0%–100%"} and set(rates["of which flips"]) == {4}
