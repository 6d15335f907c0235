"""Manual grading: people score answers blind, in the app or in a spreadsheet.

Blind: a grader sees an opaque item id, the prompt, the reference and the response, never the
model, and items come in a shuffled order (seeded, so the queue is the same after a reload), so
neither brand nor position can sway a score. Resumable: the queue leaves out what this grader has
already scored under this rubric version. Undoable: ``undo_last_grade`` takes back the grader's newest
grade saved in the app, and ``blind_queue(first=...)`` brings its answer back to the front.

Spreadsheets: the CSV export puts one empty column per criterion; the import stores every good
row and lists every bad one by row, column and reason, so nothing a grader typed is lost
silently. A grade is keyed by (run, item, grader, rubric version): importing the same file twice
replaces, never duplicates. Exported cells that a spreadsheet would run as a formula (starting
with ``=``, ``+``, ``-``, ``@``, tab or carriage return) get a leading apostrophe, and invisible
characters are written out (``core.untrusted_text.neutralise_formula``): responses are model output,
i.e. untrusted, and ``=HYPERLINK(...)`` in a response must stay text.

Every row also says where it comes from (``run_id``, ``rubric``, ``rubric_version``) and has a ``grader``
cell, so a sheet can be imported without the page that exported it (``cli.py grades import``,
``sheet_origin``): spreadsheets lose anything outside their rows. A row graded under another rubric
version than the import's is a bad row, like a row from another run.

Import bounds: scores are read like every typed number (``core.numbers``), so ``nan``, ``inf`` or
``1e400`` in a cell is a bad row, not an exception that loses the good ones; so is a cell longer
than ``MAX_CELL_CHARS``; a file above ``MAX_FILE_MB`` is refused whole.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.grading.items import GradingItem, grading_items
from core.grading.rubric import LEVELS, Rubric
from core.jobs import utc_now
from core.numbers import NumberRange
from core.untrusted_text import neutralise_formula
from store import Store, queries
from store.records import Grade, Table

TEXT_COLUMNS = ("item_id", "prompt", "response", "reference")
COMMENT_COLUMN = "comment"
ORIGIN_COLUMNS = ("run_id", "rubric", "rubric_version", "grader")  # where a row comes from; who graded it
SCORE = NumberRange("score", whole=True, minimum=LEVELS[0], maximum=LEVELS[-1])
MAX_FILE_MB = 32
MAX_CELL_CHARS = 1_000_000  # far above any prompt or answer; a cell beyond it is a paste gone wrong

# The csv module refuses fields above 128 KiB with an exception that ends the whole read, and after
# it resynchronises mid-cell. Files are bounded by MAX_FILE_MB, so no field can exceed that;
# long cells are then reported per row (MAX_CELL_CHARS) instead of losing the file.
csv.field_size_limit(max(csv.field_size_limit(), MAX_FILE_MB * 1_000_000))


@dataclass(frozen=True)
class BlindItem:
    """What a blind grader may see: no model, no sample id."""

    item_id: str
    prompt: str
    reference: str | None
    response: str


@dataclass(frozen=True)
class GradingQueue:
    """The items this grader still has to score, in their blind order, and how far they are."""

    remaining: list[BlindItem]
    done: int
    total: int


def _blind_order(items: list[GradingItem], run_id: str, seed: int) -> list[GradingItem]:
    ordered = sorted(items, key=lambda i: i.item_id)
    random.Random(f"{run_id}:{seed}").shuffle(ordered)
    return ordered


def _require_saved(rubric: Rubric) -> None:
    if rubric.version is None:
        raise ValueError(f"Save the rubric {rubric.name!r} before grading with it: grades record its version.")


def _graded_ids(store: Store, run_id: str, grader: str, rubric: Rubric) -> set[str]:
    return {g.item_id for g in queries.scores_for(store, Grade, run_id, rubric.name, rubric.version, grader=grader)}


def blind_queue(store: Store, run_id: str, grader: str, rubric: Rubric, *, seed: int = 0,
                first: str | None = None) -> GradingQueue:
    """The run's items this grader has not scored yet under ``rubric``, in a seeded random order;
    ``first`` (an item whose grade was just undone) comes before the others while it is ungraded."""
    _require_saved(rubric)
    items = _blind_order(grading_items(store, run_id), run_id, seed)
    graded = _graded_ids(store, run_id, _grader(grader), rubric)
    remaining = [BlindItem(i.item_id, i.prompt, i.reference, i.response) for i in items if i.item_id not in graded]
    remaining.sort(key=lambda i: i.item_id != first)  # stable: the blind order otherwise
    return GradingQueue(remaining, done=len(items) - len(remaining), total=len(items))


def last_grade(store: Store, run_id: str, grader: str, rubric: Rubric) -> Grade | None:
    """This grader's most recently saved grade in the app for this run and rubric version (what "undo last"
    takes back), or ``None``. Read from the store, so it survives a reload; a sheet's rows are not undone
    one by one (import the sheet again instead)."""
    _require_saved(rubric)
    saved = [g for g in queries.scores_for(store, Grade, run_id, rubric.name, rubric.version, grader=_grader(grader))
             if g.source == "app"]
    return max(saved, key=lambda g: g.stored_id, default=None)  # stored ids grow with every insert


def undo_last_grade(store: Store, run_id: str, grader: str, rubric: Rubric) -> Grade | None:
    """Remove ``last_grade`` and return it (its item goes back into the queue: pass its ``item_id`` as
    ``blind_queue(first=...)`` to grade it again now); ``None`` when there is nothing to undo."""
    with store.transaction():
        grade = last_grade(store, run_id, grader, rubric)
        if grade is not None:
            store.remove_where(Table.GRADES, run_id=run_id, item_id=grade.item_id, grader=grade.grader,
                               rubric_name=grade.rubric_name, rubric_version=grade.rubric_version)
    return grade


def _grader(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValueError("Enter your name or initials: grades are kept per grader so you can resume later.")
    return name


def _score(value: Any) -> tuple[int | None, str | None]:
    """A whole number 1-5 from a form or a spreadsheet cell ("4", 4, "4.0"), or what is wrong with it."""
    if value is None or str(value).strip() == "":
        return None, "no score given"
    try:
        return int(SCORE.read(value)), None
    except ValueError as exc:
        return None, str(exc)


def _grade_doc(item: GradingItem, grader: str, rubric: Rubric, scores: dict[str, int], comment: str,
               source: str) -> Grade:
    return Grade.build({
        "run_id": item.run_id, "item_id": item.item_id, "sample_id": item.sample_id, "model_ref": item.model_ref,
        "prompt_id": item.prompt_id, "response_chars": item.response_chars, "grader": grader,
        "rubric_name": rubric.name, "rubric_version": rubric.version, "scores": scores,
        "comment": comment.strip(), "source": source, "created_at": utc_now(),
    })


def _upsert(store: Store, grades: list[Grade]) -> tuple[int, int]:
    """Insert grades, replacing any by the same grader for the same item and rubric version.

    Returns ``(added, replaced)``.
    """
    replaced = 0
    with store.transaction():
        for g in grades:
            replaced += store.remove_where(Table.GRADES, run_id=g.run_id, item_id=g.item_id, grader=g.grader,
                                           rubric_name=g.rubric_name, rubric_version=g.rubric_version)
        queries.insert_many(store, grades)
    return len(grades) - replaced, replaced


def record_grade(store: Store, run_id: str, item_id: str, grader: str, rubric: Rubric,
                 scores: Mapping[str, Any], comment: str = "") -> dict[str, Any]:
    """Store one grader's scores (1-5 per criterion) for one item; grading it again replaces the old grade.

    Raises ``ValueError`` naming every criterion that is missing or out of range.
    """
    _require_saved(rubric)
    grader = _grader(grader)
    item = next((i for i in grading_items(store, run_id) if i.item_id == item_id), None)
    if item is None:
        raise ValueError(f"No item {item_id!r} in run {run_id!r}.")
    clean: dict[str, int] = {}
    problems = []
    for key in rubric.keys:
        score, problem = _score(scores.get(key, ""))
        if problem:
            problems.append(f"{key}: {problem}")
        else:
            clean[key] = score  # type: ignore[assignment]
    if problems:
        raise ValueError("; ".join(problems))
    grade = _grade_doc(item, grader, rubric, clean, comment, "app")
    _upsert(store, [grade])
    return grade.to_doc()


# --- CSV ----------------------------------------------------------------------------------------------


def export_annotation_csv(store: Store, run_id: str, rubric: Rubric, *, seed: int = 0) -> str:
    """Every item of the run, blind and in the blind order, with one empty column per criterion, then
    the comment, the row's origin and an empty grader cell."""
    _require_saved(rubric)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*TEXT_COLUMNS, *rubric.keys, COMMENT_COLUMN, *ORIGIN_COLUMNS])
    origin = [run_id, rubric.name, str(rubric.version)]
    for item in _blind_order(grading_items(store, run_id), run_id, seed):
        cells = [item.item_id, item.prompt, item.response, item.reference]
        writer.writerow([neutralise_formula(c) for c in cells] + [""] * len(rubric.keys) + [""]
                        + [neutralise_formula(c) for c in origin] + [""])
    return out.getvalue()


@dataclass(frozen=True)
class SheetOrigin:
    """What an exported sheet grades (its first row's origin cells) and who filled it in, if they said."""

    run_id: str
    rubric_name: str
    rubric_version: int
    grader: str | None


def _rows(data: str | bytes) -> list[list[str]]:
    """``_read_csv`` with an undecodable file as one ``ValueError`` sentence."""
    try:
        return _read_csv(data)
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"The file is not UTF-8 text ({exc.reason} at byte {exc.start}); save it as CSV UTF-8."
        ) from None


def sheet_origin(data: str | bytes) -> SheetOrigin:
    """The run and rubric version a sheet from ``export_annotation_csv`` grades, read from its first row,
    and the first grader named in it; ``ValueError`` when the sheet does not say."""
    rows = _rows(data)
    header = [h.strip() for h in rows[0]] if rows else []
    records = [dict(zip(header, cells, strict=False)) for cells in rows[1:]]
    first = next((r for r in records if (r.get("run_id") or "").strip()), None)
    version = (first or {}).get("rubric_version", "").strip()
    if first is None or not (first.get("rubric") or "").strip() or not version.isdigit():
        raise ValueError("The sheet does not say which run and rubric it grades (no run_id, rubric and "
                         "rubric_version cells): export it again, or import it on the Grade page.")
    grader = next((g for r in records if (g := (r.get("grader") or "").strip())), None)
    return SheetOrigin(first["run_id"].strip(), first["rubric"].strip(), int(version), grader)


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong in an imported file, located as a spreadsheet shows it (header = row 1)."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


@dataclass
class ImportReport:
    """What an import did: good rows stored (new or replacing), blank rows left, bad rows listed."""

    added: int = 0
    replaced: int = 0
    blank_rows: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def stored(self) -> int:
        return self.added + self.replaced

    @property
    def bad_rows(self) -> list[int]:
        return sorted({p.row for p in self.problems})


def _read_csv(data: str | bytes) -> list[list[str]]:
    """Rows of a CSV in any common delimiter; ``ValueError`` for a file too big to be a grading sheet."""
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))
    if size > MAX_FILE_MB * 1_000_000:
        raise ValueError(f"The file is {size / 1e6:.1f} MB; an annotation sheet may be at most {MAX_FILE_MB} MB: "
                         "import it in parts.")
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data.removeprefix("\ufeff")
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)  # Excel in many locales saves with ";"
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def import_annotation_csv(store: Store, run_id: str, grader: str, rubric: Rubric, data: str | bytes) -> ImportReport:
    """Read a filled-in annotation CSV back; store each complete, valid row as ``grader``'s grade.

    Rows with no score and no comment are counted as blank (not graded yet), not as problems. A row
    with any problem is not stored and every one of its problems is listed; all other rows are.
    Raises ``ValueError`` for an unreadable file (not UTF-8).
    """
    _require_saved(rubric)
    grader = _grader(grader)
    rows = _rows(data)
    report = ImportReport()
    if not rows:
        report.problems.append(RowProblem(1, "-", "the file is empty"))
        return report
    header = [h.strip() for h in rows[0]]
    missing = [c for c in ("item_id", *rubric.keys) if c not in header]
    if missing:
        expected = ", ".join([*TEXT_COLUMNS, *rubric.keys, COMMENT_COLUMN, *ORIGIN_COLUMNS])
        report.problems.append(RowProblem(1, ", ".join(missing), f"column missing from the header row; expected "
                                          f"{expected}"))
        return report
    items = {i.item_id: i for i in grading_items(store, run_id)}
    seen: dict[str, int] = {}
    grades: list[Grade] = []
    for number, cells in enumerate(rows[1:], start=2):
        row = dict(zip(header, cells, strict=False))
        grade, problems, blank = _import_row(row, number, items, seen, grader, rubric)
        report.problems.extend(problems)
        report.blank_rows += blank
        if grade is not None:
            grades.append(grade)
    report.added, report.replaced = _upsert(store, grades) if grades else (0, 0)
    return report


def _import_row(row: dict[str, str], number: int, items: dict[str, GradingItem], seen: dict[str, int], grader: str,
                rubric: Rubric) -> tuple[Grade | None, list[RowProblem], int]:
    """One data row: its grade (or ``None``), its problems, and 1 if it is blank."""
    item_id = (row.get("item_id") or "").strip()
    comment = row.get(COMMENT_COLUMN) or ""
    filled = [k for k in rubric.keys if (row.get(k) or "").strip()]
    if not filled and not comment.strip():
        return None, [], 1
    problems = [RowProblem(number, column, f"{len(cell):,} characters; a cell holds at most {MAX_CELL_CHARS:,}: "
                           "shorten it") for column, cell in row.items() if len(cell) > MAX_CELL_CHARS]
    if not item_id:
        problems.append(RowProblem(number, "item_id", "missing: keep the item_id column as exported"))
    elif item_id not in items:
        problems.append(RowProblem(number, "item_id", f"{item_id!r} is not an item of this run (from another run?)"))
    elif item_id in seen:
        problems.append(RowProblem(number, "item_id", f"{item_id} was already graded on row {seen[item_id]}"))
    else:
        seen[item_id] = number
    version = (row.get("rubric_version") or "").strip()
    if version and version != str(rubric.version):
        problems.append(RowProblem(number, "rubric_version", f"graded under {rubric.name} v{version}, not "
                                   f"{rubric.label}: import it with that version"))
    scores: dict[str, int] = {}
    for key in rubric.keys:
        score, problem = _score(row.get(key) or "")
        if problem:
            problems.append(RowProblem(number, key, problem))
        else:
            scores[key] = score  # type: ignore[assignment]
    if problems:
        return None, problems, 0
    return _grade_doc(items[item_id], grader, rubric, scores, comment, "csv"), [], 0
