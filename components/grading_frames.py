"""Tables behind the Grade page, and the rubric editor's table <-> ``Rubric`` conversion. No Streamlit.

Kept apart from the widgets so each table is testable without a browser, and so the page shows
exactly the frame it would export.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from core.grading import (
    Agreement,
    Criterion,
    ImportReport,
    ModelQuality,
    ParseStats,
    Rubric,
    ScoreMean,
)
from core.grading.agreement import KAPPA_SCALE
from core.grading.coefficients import Coefficient
from store.records import Run

LEVEL_COLUMNS = [f"level {n}" for n in range(1, 6)]
EDITOR_COLUMNS = ["key", "title", "question", *LEVEL_COLUMNS]


# --- runs -----------------------------------------------------------------------------------------


def reference_count(run: Run) -> tuple[int, int]:
    """(prompts with a reference answer, prompts) in the run's copy of its prompt set."""
    prompts = run.prompt_set.prompts
    return sum(1 for p in prompts if p.reference), len(prompts)


# --- rubric editor ---------------------------------------------------------------------------------


def criteria_frame(rubric: Rubric) -> pd.DataFrame:
    """One row per criterion, its five level anchors as columns (what the editor edits)."""
    rows = [{"key": c.key, "title": c.title, "question": c.question, **dict(zip(LEVEL_COLUMNS, c.levels, strict=True))}
            for c in rubric.criteria]
    return pd.DataFrame(rows, columns=EDITOR_COLUMNS)


def _cell(value: Any) -> str:
    """An editor cell as text: new rows hold ``None``, pandas may turn them into NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def rubric_from_editor(name: str, description: str, uses_reference: bool, rows: pd.DataFrame) -> Rubric:
    """The unsaved rubric the editor describes; ``ValueError`` names the row (1-based) and what to fix.

    Wholly empty rows are ignored: ``num_rows="dynamic"`` leaves one behind when a user adds a row
    and changes their mind.
    """
    criteria = []
    for number, row in enumerate(rows.to_dict("records"), start=1):
        cells = {column: _cell(row.get(column)) for column in EDITOR_COLUMNS}
        if not any(cells.values()):
            continue
        try:
            criteria.append(Criterion(cells["key"], cells["title"], cells["question"],
                                      tuple(cells[c] for c in LEVEL_COLUMNS)))  # type: ignore[arg-type]
        except ValueError as exc:
            raise ValueError(f"Criterion row {number}: {exc}") from None
    return Rubric(name=name.strip(), criteria=tuple(criteria), description=description.strip(),
                  uses_reference=uses_reference)


# --- results ---------------------------------------------------------------------------------------


def rounded_mean(mean: ScoreMean) -> float | None:
    return round(mean.mean, 2) if mean.mean is not None else None


def ci_text(mean: ScoreMean) -> str:
    """``2.90–4.10``, or why there is no interval (too few answers, none yet)."""
    if mean.ci95_low is None or mean.ci95_high is None:
        return mean.note or "n/a"
    return f"{mean.ci95_low:.2f}–{mean.ci95_high:.2f}"


def quality_frame(qualities: list[ModelQuality], rubric: Rubric) -> pd.DataFrame:
    """Per model: counts of answers, then overall and each criterion as mean and 95% CI (a one-criterion
    rubric's overall *is* its criterion, so it gets no second, identical pair of columns)."""
    per_criterion = rubric.criteria if len(rubric.criteria) > 1 else ()
    rows = []
    for q in qualities:
        row: dict[str, Any] = {
            "model": q.model_ref, "answers": q.n_items, "scored": q.n_scored, "unscored": q.n_unscored,
            "not graded yet": q.n_not_graded,
            "overall": rounded_mean(q.overall), "overall 95% CI": ci_text(q.overall),
        }
        for c in per_criterion:
            row[c.title] = rounded_mean(q.per_criterion[c.key])
            row[f"{c.title} 95% CI"] = ci_text(q.per_criterion[c.key])
        rows.append(row)
    return pd.DataFrame(rows)


def coefficient_interval(c: Coefficient) -> str:
    """``0.41 to 0.79``, or why there is no interval (too few answers, no spread)."""
    if c.ci95_low is None or c.ci95_high is None:
        return c.note or "n/a"
    return f"{c.ci95_low:.2f} to {c.ci95_high:.2f}"


def agreement_frame(agreement: Agreement, rubric: Rubric) -> pd.DataFrame:
    """Kappa and Spearman pooled over criteria, then per criterion, each with its answers and 95% interval.
    Kappa reads as its verdict does (``KAPPA_SCALE``: more digits where two would cross a threshold)."""
    def row(criterion: str, kappa: Coefficient, rho: Coefficient) -> dict[str, Any]:
        return {"criterion": criterion, "answers": kappa.n,
                "weighted kappa": KAPPA_SCALE.reading(kappa.value).text if kappa.value is not None else "n/a",
                "kappa 95% CI": coefficient_interval(kappa),
                "Spearman": f"{rho.value:.2f}" if rho.value is not None else "n/a",
                "Spearman 95% CI": coefficient_interval(rho)}

    rows = [row("all criteria (pooled)", *agreement.pooled)]
    rows += [row(c.title, *agreement.per_criterion[c.key]) for c in rubric.criteria]
    return pd.DataFrame(rows)


def parse_stats_frame(stats: dict[str, ParseStats]) -> pd.DataFrame:
    """Per judge: how many replies, how many unreadable after the retry, how many needed the retry."""
    rows = [{"judge": judge, "judgments": s.n, "unscored": s.unscored, "retried": s.retried,
             "parse failure rate": f"{s.failure_rate:.0%}" if s.failure_rate is not None else "n/a"}
            for judge, s in stats.items()]
    return pd.DataFrame(rows, columns=["judge", "judgments", "unscored", "retried", "parse failure rate"])


def problems_frame(report: ImportReport) -> pd.DataFrame:
    """An import's problems as the spreadsheet shows them (header = row 1)."""
    return pd.DataFrame([{"row": p.row, "column": p.column, "problem": p.message} for p in report.problems],
                        columns=["row", "column", "problem"])
