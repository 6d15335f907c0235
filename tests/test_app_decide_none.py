"""When the hard constraints leave nobody, the Decide page still records the decision: "no model qualifies",
with every model and the constraints it failed, and every export says so."""

from __future__ import annotations

import json
from pathlib import Path

from core.decide import report
from core.decide.decision import list_decisions
from store import Store
from tests.conftest import open_app
from tests.test_app_decide import _seed_run


def test_recording_that_no_model_qualifies(app_store: Path) -> None:
    _seed_run(app_store)
    at = open_app("app_pages/decide.py").run()
    at.number_input(key="c-mem").set_value(100.0)  # endpoints have no memory figure: unknown fails the limit
    at.run()
    assert not at.exception, at.exception
    assert any("No model passes the constraints" in e.value for e in at.error)
    at.text_input(key="d-makers").input("Ana")
    at.text_area(key="d-consequences").input("Benchmark smaller models.")
    next(b for b in at.button if b.label == "Record: no model qualifies").click()
    at.run()
    assert not at.exception, at.exception
    [decision] = list_decisions(Store(app_store))
    assert decision.no_model_qualifies and decision.chosen is None and decision.top_ranked is None
    reasons = {e["ref"]: e["reasons"] for e in decision.excluded}
    assert set(reasons) == {"fast:fake-model", "slow:fake-model", "gone:fake-model"}
    assert "memory is unknown, so the 100 MB limit cannot be checked" in reasons["fast:fake-model"]
    assert any("no model qualifies" in s.value for s in at.success)

    record = decision.as_dict()
    markdown = report.to_markdown(record)
    assert "Chosen model: none: no model qualifies" in markdown and "100 MB limit" in markdown
    assert "Benchmark smaller models." in markdown
    assert "no model qualifies" in report.to_html(record, chromium=Path("/nonexistent"))
    assert json.loads(report.to_json(record))["no_model_qualifies"] is True
    rows = report.to_csv(record).splitlines()
    assert len(rows) == 4 and all(row.startswith("excluded,") for row in rows[1:])
