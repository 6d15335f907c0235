"""``md(template, **values)``: the page's markdown stays markdown, every value comes out literal."""

from __future__ import annotations

from components.safe_text import md

EVIL = "[x](https://evil.example/) ![b](https://evil.example/b.png) <b>B</b> **loud** `tick` $x$ :red[r]"


def test_every_value_is_literal_and_the_template_is_kept() -> None:
    text = md("**{source}**: {error}", source="acc", error=EVIL).replace("\u2060", "")
    assert text.startswith("**acc**: ")
    for raw in ("[x](", "![b](", "<b>", "**loud**", "`tick`", "$x$", ":red["):
        assert raw not in text.removeprefix("**acc**: "), raw
    assert r"\[x\](https://evil.example/)" in text and r"\*\*loud\*\*" in text and r"\$x\$" in text


def test_format_specs_apply_before_escaping() -> None:
    assert md("{n:.2f} s on {device}", n=3.14159, device="<gpu>") == r"3.14 s on \<gpu\>"


def test_code_fields_are_literal_code_spans() -> None:
    assert md("{url:code}", url="http://x/`y`") == "`` http://x/`y` ``"


def test_an_exception_is_its_message() -> None:
    assert md("{error}", error=ValueError("bad *thing*")) == r"bad \*thing\*"
