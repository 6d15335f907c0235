"""Decision records (build, store, supersede, recompute) and every export format, including hostile text."""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from core.decide.candidates import CandidateTable, candidate_table
from core.decide.decision import build_decision, get_decision, list_decisions, recompute, save_decision, set_status
from core.decide.ranking import rank
from core.decide.report import PdfUnavailable, filename, to_csv, to_html, to_json, to_markdown, to_pdf
from core.decide.settings import Constraints, SelectionSettings, default_criteria
from core.untrusted_text import md_escape
from tests.test_selection import model_entry, run_doc
from tests.test_selection import specs as model_specs

CHROMIUM = Path("/usr/bin/chromium")
HOSTILE = "<script>alert(1)</script> [x](http://evil) **bold** # heading"
QUALITY_SOURCE = {"rubric": "helpfulness v2", "judge": "foundry-local:judge:1",
                  "agreement": {"kappa": 0.71, "verdict": "The judge agrees well with people"}}


def table(extra_models: dict[str, dict] | None = None, specs: dict[str, dict] | None = None):
    run = run_doc("run-1", "2026-03-01T10:00:00+00:00", {
        "fast:model": model_entry(0.8, 1.2, 40, peak=900, disk=400),
        "good:model": model_entry(1.6, 2.4, 25, peak=1800, disk=1200),
        "huge:model": model_entry(3.0, 4.0, 10, peak=9000, disk=8000),
        **(extra_models or {}),
    })
    quality = {"fast:model": {"mean": 3.2, "ci95_low": 2.9, "ci95_high": 3.5, "n": 16},
               "good:model": {"mean": 4.4, "ci95_low": 4.1, "ci95_high": 4.7, "n": 16}}
    return candidate_table([run], model_specs(specs or {"fast:model": {"license": "apache-2.0"},
                                                        "good:model": {"license": "mit"}}), quality)


SETTINGS = SelectionSettings(criteria=default_criteria({"latency": 40, "quality": 40, "memory": 20}),
                             constraints=Constraints(max_memory_mb=4096))


def record(candidates: CandidateTable | None = None, **kw: Any) -> dict[str, Any]:
    args = {"title": "Assistant model", "context": "Offline help desk on laptops.",
            "decision_makers": ["PO", "Tech lead"], "quality_source": QUALITY_SOURCE, "draws": 300,
            "decided_on": "2026-03-02"} | kw
    return build_decision(candidates or table(), SETTINGS, **args)


# ------------------------------------------------------------------ the record


def test_record_defaults_to_the_top_ranked_model_and_keeps_everything():
    rec = record()
    assert rec["chosen"] == rec["top_ranked"] == rank(table(), SETTINGS).winner
    assert rec["status"] == "proposed" and rec["override_reason"] is None
    assert rec["run_ids"] == ["run-1"]
    assert rec["excluded"] == [{"ref": "huge:model", "reasons": ["memory 9,000 MB exceeds the 4,096 MB limit"]}]
    assert rec["settings"]["constraints"]["max_memory_mb"] == 4096
    assert rec["weights_applied"]["latency"] == pytest.approx(0.4)
    assert set(rec["sensitivity"]["probabilities"]) == {"fast:model", "good:model"}
    assert rec["evidence"]["quality_source"]["agreement"]["kappa"] == 0.71
    assert rec["evidence"]["runs"][0]["environment"]["cpu"] == "Test CPU"
    assert {p["ref"] for p in rec["pareto"]["points"]} == {"fast:model", "good:model"}


def test_override_needs_a_reason_and_an_excluded_model_cannot_be_chosen():
    top = record()["top_ranked"]
    other = next(r for r in ("fast:model", "good:model") if r != top)
    with pytest.raises(ValueError, match="needs a stated reason"):
        record(chosen=other)
    rec = record(chosen=other, override_reason="Legal prefers its license.")
    assert rec["chosen"] == other and rec["override_reason"] == "Legal prefers its license."
    with pytest.raises(ValueError, match="huge:model was excluded: memory 9,000 MB exceeds"):
        record(chosen="huge:model", override_reason="bigger is better")
    with pytest.raises(ValueError, match="at least one decision-maker"):
        record(status="accepted", decision_makers=[" "])


def test_store_list_supersede_and_status(store):
    first = record(status="accepted")
    save_decision(store, first)
    second = record(title="Assistant model, after new grades", supersedes=first["decision_id"])
    save_decision(store, second)
    old = get_decision(store, first["decision_id"])
    assert old is not None and (old.status, old.superseded_by) == ("superseded", second["decision_id"])
    assert [d.decision_id for d in list_decisions(store)] == [second["decision_id"], first["decision_id"]]
    set_status(store, second["decision_id"], "accepted")
    latest = get_decision(store, second["decision_id"])
    assert latest is not None and latest.status == "accepted"
    with pytest.raises(ValueError, match="Status must be one of"):
        set_status(store, second["decision_id"], "maybe")
    with pytest.raises(ValueError, match="No decision 'nope' to supersede"):
        save_decision(store, record(supersedes="nope"))


def test_record_recomputes_from_its_own_stored_json(store):
    rec = record()
    save_decision(store, rec)
    stored = get_decision(store, rec["decision_id"])
    assert stored is not None and stored.as_dict() == rec  # the exports take the stored document as it was built
    again = recompute(json.loads(to_json(stored.as_dict())))
    assert [(m.ref, m.score) for m in again.ranked] == [(m["ref"], pytest.approx(m["score"])) for m in rec["ranked"]]
    assert [e.ref for e in again.excluded] == ["huge:model"]


# ------------------------------------------------------------------ exports


def test_markdown_has_the_decision_record_structure_and_evidence():
    md = to_markdown(record())
    for heading in ("# Decision: Assistant model", "## Context", "## Decision drivers", "## Options considered",
                    "## Outcome", "## Consequences", "## Evidence"):
        assert re.search(f"^{re.escape(heading)}$", md, re.MULTILINE), heading
    assert "run\\-1" in md or "run-1" in md
    assert "95% CI" in md and "n=16" in md  # CIs and sample counts
    assert "kappa 0.71" in md and "huge:model: memory 9,000 MB exceeds the 4,096 MB limit" in md


def test_json_export_holds_everything_to_recompute():
    data = json.loads(to_json(record()))
    assert data["format"] == "pickwise-decision" and data["format_version"] == 1
    assert {"settings", "candidates", "ranked", "excluded", "sensitivity", "evidence"} <= set(data)
    assert recompute(data).winner == data["top_ranked"]


def test_csv_export_is_the_scored_table():
    rec = record()
    rows = list(csv.DictReader(io.StringIO(to_csv(rec))))
    assert [r["status"] for r in rows] == ["ranked", "ranked", "excluded"]
    top = rows[0]
    assert top["model"] == rec["chosen"] and top["chosen"] == "yes"
    assert float(top["score"]) == pytest.approx(rec["ranked"][0]["score"])
    points = sum(float(top[f"{k}_points"]) for k in ("latency", "throughput", "memory", "quality", "footprint",
                                                     "license"))
    assert points == pytest.approx(float(top["score"]))
    assert rows[2]["reasons"] == "memory 9,000 MB exceeds the 4,096 MB limit"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Tags:
    parser = _Tags()
    parser.feed(page)
    parser.close()
    return parser


def test_html_is_self_contained_and_contains_the_evidence():
    page = to_html(record())
    parsed = _parse(page)
    text = "".join(parsed.text)
    assert parsed.tags.count("svg") == 4 and "script" not in parsed.tags and "link" not in parsed.tags
    assert page.count('class="main-svg"') == 4  # the Decide page's plotly figures, drawn by kaleido
    assert "src=" not in page and "http://" not in page and "https://" not in page
    assert "Evidence" in text and "run-1" in text and "95% CI" in text and "Test CPU" in text
    assert "The judge agrees well with people" in text


def test_pdf_via_chromium_or_a_clear_error(tmp_path: Path):
    with pytest.raises(PdfUnavailable, match="needs Chromium at"):
        to_pdf(record(), chromium=tmp_path / "no-chromium")
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium")
    assert to_pdf(record()).startswith(b"%PDF")


def test_filename_is_safe():
    assert filename(record(title="Model: <pick> / 2026"), "md") == "decision-model-pick-2026-2026-03-02.md"


# ------------------------------------------------------------------ hostile text


def _unescape_md(text: str) -> str:
    """What a Markdown viewer shows: escapes read, and the word joiner that stops autolinks is invisible."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text).replace("\u2060", "")


def test_md_escape_makes_markup_literal():
    escaped = md_escape(HOSTILE)
    assert "<script>" not in escaped and "[x](http://evil)" not in escaped and "**" not in escaped
    assert _unescape_md(escaped) == HOSTILE
    assert md_escape("- item") == "\\- item" and md_escape("1. first") == "1\\. first"
    assert md_escape("# title") == "\\# title" and md_escape("60.0 s") == "60.0 s"
    assert md_escape("a\n\n    code") == "a code"


def hostile_record() -> dict[str, Any]:
    evil_ref = "=evil:<script>alert(1)</script>"
    hostile_table = table({evil_ref: model_entry(0.5, 0.9, 60, peak=500, disk=300)},
                          specs={evil_ref: {"license": HOSTILE}, "fast:model": {"license": "apache-2.0"}})
    return record(hostile_table, context=HOSTILE, consequences="+cmd|' /C calc'!A0",
                  quality_source={"judge": "[x](http://evil)", "agreement": {"verdict": "<script>x</script>"}})


def test_hostile_text_is_literal_in_markdown():
    md = to_markdown(hostile_record())
    assert "<script>" not in md and "[x](http://evil)" not in md
    assert "\\<script\\>alert(1)\\</script\\>" in md
    assert HOSTILE in _unescape_md(md)


def test_hostile_text_is_literal_in_html():
    page = to_html(hostile_record())
    parsed = _parse(page)
    assert "<script>" not in page and "script" not in parsed.tags and "a" not in parsed.tags
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert HOSTILE in "".join(parsed.text)  # shown, as text


def test_csv_cells_that_spreadsheets_would_evaluate_are_neutralised():
    rows = list(csv.reader(io.StringIO(to_csv(hostile_record()))))
    models = [row[2] for row in rows[1:]]
    assert "'=evil:<script>alert(1)</script>" in models
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)
    assert not any(cell.startswith("-") and not re.fullmatch(r"-[\d.e-]+", cell) for row in rows for cell in row)


INVISIBLE_REF = "acc:model\u202egnp.exe\u200b"
FORMULAS = ('=HYPERLINK("http://evil","x")', "+cmd|' /C calc'!A0", "@SUM(A1:A2)", "-1+1")


def invisible_record() -> dict[str, Any]:
    evil_table = table({INVISIBLE_REF: model_entry(0.5, 0.9, 60, peak=500, disk=300)},
                       specs={INVISIBLE_REF: {"license": "\u2066mit\u2069"}, "fast:model": {"license": "apache-2.0"}})
    return record(evil_table, context="A \ufeffhidden\u200d note " + " ".join(FORMULAS),
                  consequences=FORMULAS[0], decision_makers=[FORMULAS[1], "\u202eAna"])


def test_invisible_characters_are_visible_in_every_text_export():
    rec = invisible_record()
    md, page, table_csv = to_markdown(rec), to_html(rec), to_csv(rec)
    for text in (md, page, table_csv):
        assert not re.search("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]", text)
    assert r"acc:model\<U+202E\>gnp.exe\<U+200B\>" in md
    assert "acc:model&lt;U+202E&gt;gnp.exe&lt;U+200B&gt;" in page
    assert "acc:model<U+202E>gnp.exe<U+200B>" in table_csv


def test_json_export_escapes_invisible_characters_and_still_recomputes():
    rec = invisible_record()
    text = to_json(rec)
    assert "\u202e" not in text and "\\u202e" in text
    assert json.loads(text)["candidates"] == json.loads(json.dumps(rec["candidates"]))
    assert [m.ref for m in recompute(json.loads(text)).ranked] == [m["ref"] for m in rec["ranked"]]


def test_formulas_in_model_ids_are_neutralised_in_csv():
    evil_refs = {formula: model_entry(0.5 + i, 0.9 + i, 60, peak=500, disk=300) for i, formula in enumerate(FORMULAS)}
    rows = list(csv.reader(io.StringIO(to_csv(record(table(evil_refs))))))
    cells = [cell for row in rows for cell in row]
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)
    assert {"'" + formula for formula in FORMULAS} <= set(cells)
    assert not any(cell.startswith("-") and not re.fullmatch(r"-[\d.e-]+", cell) for cell in cells)
