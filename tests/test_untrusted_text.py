"""The untrusted-text escapers: what each one leaves of hostile markup, invisible characters and formulas."""

from __future__ import annotations

import json

from core.untrusted_text import (
    csv_cell,
    html_escape,
    json_text,
    md_code,
    md_escape,
    md_inert,
    neutralise_formula,
    plotly_escape,
    reveal_invisible,
)

RLO_ID = "acc:model\u202egnp.exe"  # shows as "acc:modelexe.png" once rendered
ZW_ID = "acc:mo\u200bdel\ufeff"


def test_invisible_characters_are_made_visible_not_dropped() -> None:
    assert reveal_invisible(RLO_ID) == "acc:model<U+202E>gnp.exe"
    assert reveal_invisible(ZW_ID) == "acc:mo<U+200B>del<U+FEFF>"
    assert reveal_invisible("\u2066x\u2069 \u061c \U000e0041") == "<U+2066>x<U+2069> <U+061C> <U+E0041>"
    assert reveal_invisible("plain café – ok") == "plain café – ok"


def test_md_escape_reveals_invisibles_and_markup() -> None:
    assert md_escape(RLO_ID) == "acc:model\\<U+202E\\>gnp.exe"


def test_md_inert_stops_gfm_autolinks() -> None:
    text = md_inert("see https://evil.example/x or www.evil.example or me@evil.example")
    assert "https://" not in text and "www." not in text and "e@evil" not in text
    assert text.replace("\u2060", "") == "see https://evil.example/x or www.evil.example or me@evil.example"


def test_md_code_fences_past_any_backtick_run() -> None:
    assert md_code("a`b") == "``a`b``"
    assert md_code("`x") == "`` `x ``"
    assert md_code("line\n\nbreak") == "`line break`"


def test_plotly_escape_turns_tags_and_templates_into_entities() -> None:
    escaped = plotly_escape('acc:<a href="https://evil.example/">x</a><b>B</b><br>%{x}&amp;')
    assert "<" not in escaped and ">" not in escaped and "%{" not in escaped
    assert escaped == ('acc:&lt;a href="https://evil.example/"&gt;x&lt;/a&gt;&lt;b&gt;B&lt;/b&gt;&lt;br&gt;'
                       "&#37;{x}&amp;amp;")


def test_html_escape_reveals_invisibles() -> None:
    assert html_escape('<i a="1">\u202e') == "&lt;i a=&quot;1&quot;&gt;&lt;U+202E&gt;"


def test_formula_cells_are_neutralised_and_numbers_kept() -> None:
    for formula in ('=HYPERLINK("http://evil","x")', "+cmd|' /C calc'!A0", "@SUM(A1:A2)", "-1+1", "\t=1"):
        assert neutralise_formula(formula) == "'" + formula
    assert neutralise_formula("\u200b=HYPERLINK(1)") == "<U+200B>=HYPERLINK(1)"  # hidden lead cannot smuggle
    assert neutralise_formula(None) == "" and neutralise_formula("fine") == "fine"
    assert csv_cell(-1.5) == -1.5 and csv_cell(3) == 3 and csv_cell(None) == "" and csv_cell(True) == "yes"
    assert csv_cell("-1+1") == "'-1+1"


def test_json_text_escapes_invisibles_and_round_trips() -> None:
    value = {"ref": RLO_ID, "tag": "\U000e0041"}
    text = json_text(json.dumps(value, ensure_ascii=False))
    assert "\u202e" not in text and "\\u202e" in text and "\\udb40\\udc41" in text
    assert json.loads(text) == value
