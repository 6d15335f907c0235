"""The spreadsheet exports outside the decision report: Compare's and Grade's chart CSVs and the blind
grading sheet. Every text cell is neutralised the same way (formulas, invisible characters); numbers stay."""

from __future__ import annotations

import csv
import io

import pandas as pd

from components.chart_export import chart_csv
from core.compare.groups import build_groups, summary_frame
from core.compare.runs import model_refs
from core.grading import export_annotation_csv, install_presets
from store import Store
from store.queries import get_run
from store.records import Table
from tests.test_compare import ModelSpec, seed_run
from tests.test_grading_items import make_run

FORMULA_DEVICE = '=HYPERLINK("http://evil.example","x")'


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_compare_chart_csv_neutralises_formulas_and_reveals_invisibles(store: Store) -> None:
    run_id = seed_run(store, [ModelSpec("acc:m\u202egnp", device=FORMULA_DEVICE)])
    run = get_run(store, run_id)
    groups = build_groups([run], {run_id: store.find(Table.SAMPLES, run_id=run_id)}, model_refs([run]))
    rows = _cells(chart_csv(summary_frame(groups)))
    header, first = rows[0], dict(zip(rows[0], rows[1], strict=True))
    assert first["device"] == "'" + FORMULA_DEVICE.upper() and first["model"] == "acc:m<U+202E>gnp"
    assert float(first["n"]) > 0 and "e2e_p50_s" in header  # numbers stay numbers
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)


def test_chart_csv_keeps_negative_numbers_and_empty_cells() -> None:
    frame = pd.DataFrame({"model": ["-1+1", "@SUM(A1)", None], "change_pct": [-12.5, 3.0, None]})
    assert _cells(chart_csv(frame)) == [["model", "change_pct"], ["'-1+1", "-12.5"], ["'@SUM(A1)", "3.0"], ["", ""]]


def test_grading_sheet_reveals_invisible_characters_and_neutralises_formulas(store: Store) -> None:
    run_id = make_run(store, [("a:m", "capital", "\u202eParis\u200b"), ("b:m", "capital", "+cmd|' /C calc'!A0")])
    rubric = install_presets(store)[0]
    rows = _cells(export_annotation_csv(store, run_id, rubric))
    responses = {row[2] for row in rows[1:]}
    assert responses == {"<U+202E>Paris<U+200B>", "'+cmd|' /C calc'!A0"}
