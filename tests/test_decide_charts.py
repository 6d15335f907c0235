"""One definition per Decide chart: the page's figures and the decision report's are the same figures, and
the report draws them as SVG with kaleido, inlined inert, or shows their numbers when no browser is there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.chart_images import CHROMIUM
from core.chart_theme import colour_map
from core.decide import report
from core.decide.charts import contribution_figure, pareto_figure, record_charts, tornado_figure, win_probability_figure
from core.decide.pareto import pareto_quality_latency
from core.decide.ranking import contribution_frame, rank
from core.decide.sensitivity import sensitivity, tornado_frame
from core.inline_svg import inline_svg
from tests.test_decision_report import SETTINGS, _parse, record, table
from tests.test_selection import model_entry

HOSTILE_ID = '<script>alert(1)</script><a href="https://evil.example/">x</a>'
needs_chromium = pytest.mark.skipif(not CHROMIUM.is_file(), reason="needs /usr/bin/chromium")


def _json(fig) -> dict:
    return json.loads(fig.to_json())


def test_the_report_draws_the_figures_the_page_shows():
    """The page's calls (app_pages/decide.py) on the live ranking, and the record's charts, give the same JSON."""
    candidates = table()
    rec = record(candidates)
    ranking = rank(candidates, SETTINGS)
    robustness = sensitivity(ranking, draws=300)
    colours = colour_map(c.ref for c in candidates.candidates)
    page = [contribution_figure(contribution_frame(ranking)), pareto_figure(pareto_quality_latency(ranking), colours),
            tornado_figure(tornado_frame(robustness.flips)),
            win_probability_figure(robustness.win.probabilities, colours)]
    exported = record_charts(rec)
    assert [_json(c.figure) for c in exported] == [_json(f) for f in page]
    assert list(exported.win.data["model"]) == sorted(robustness.win.probabilities,
                                                      key=lambda r: -robustness.win.probabilities[r])


def test_a_record_without_quality_has_no_pareto_chart():
    rec = record(table(), quality_source=None) | {"pareto": {"points": [], "not_plotted": {"fast:model": "no quality"}}}
    assert record_charts(rec).pareto is None


@pytest.fixture(scope="module")
def hostile_page() -> str:
    evil = f"evil:{HOSTILE_ID}"
    return report.to_html(record(table({evil: model_entry(0.5, 0.9, 60, peak=500, disk=300)},
                                       specs={evil: {"license": "mit"}, "fast:model": {"license": "apache-2.0"}})))


@needs_chromium
def test_the_html_report_inlines_the_kaleido_svgs_of_the_same_figures(hostile_page: str):
    parsed = _parse(hostile_page)
    assert parsed.tags.count("svg") == 4 and hostile_page.count('class="main-svg"') == 4  # plotly's, via kaleido
    for title in ("Weighted score (0-100) by criterion", "Quality against latency (top left is best)",
                  "How far each weight can move before the winner changes",
                  "Chance of winning with the weights drawn at random and the measurements resampled"):
        assert title in "".join(parsed.text)


@needs_chromium
def test_a_hostile_model_id_is_text_in_the_report_svgs(hostile_page: str):
    assert "<script" not in hostile_page.lower() and 'href="https://evil' not in hostile_page
    assert not {"script", "a", "foreignobject"} & set(_parse(hostile_page).tags)
    svgs = hostile_page[hostile_page.index("<svg"):]
    assert "evil:&lt;script&gt;alert(1)&lt;/script&gt;&lt;a href=&quot;https://evil.example/&quot;&gt;" in svgs


def test_without_chromium_the_html_shows_each_charts_numbers_and_says_why(tmp_path: Path):
    rec = record()
    page = report.to_html(rec, chromium=tmp_path / "no-chromium")
    parsed = _parse(page)
    text = " ".join(parsed.text)
    assert "svg" not in parsed.tags and "Traceback" not in page
    assert text.count("not drawn: drawing charts needs chromium at") == 4
    assert "apt-get install chromium" in text
    winner_share = f"{100 * rec['sensitivity']['probabilities'][rec['chosen']]:.2f}"
    assert winner_share in text  # the win-probability chart's numbers, as a table
    assert parsed.tags.count("table") >= 4 + 4  # the report's own tables, plus one per chart


def test_inline_svg_keeps_drawing_and_drops_anything_live():
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" onload="x()">'
           '<defs><clipPath id="c1"><rect width="5" height="5"/></clipPath></defs>'
           '<script>alert(1)</script><foreignObject><div>html</div></foreignObject>'
           '<a href="https://evil.example/"><text>link</text></a><image xlink:href="https://evil.example/x.png"/>'
           '<g clip-path="url(#c1)" style="fill: url(https://evil.example/p)"><use xlink:href="#c1"/>'
           '<text x="1" onclick="y()">a &lt;b&gt; "q" &amp; c</text></g></svg>')
    out = inline_svg(svg, "p0-")
    tags = _parse(out).tags
    assert tags == ["svg", "defs", "clippath", "rect", "g", "text"]  # no script, foreignObject, a, image, use
    assert "onload" not in out and "onclick" not in out and "evil" not in out
    assert 'id="p0-c1"' in out and 'clip-path="url(#p0-c1)"' in out
    assert "a &lt;b&gt; &quot;q&quot; &amp; c" in out


def test_inline_svg_refuses_what_is_not_an_svg():
    with pytest.raises(ValueError, match="not a well-formed SVG"):
        inline_svg(b"<svg", "p-")
    with pytest.raises(ValueError, match="root element is html"):
        inline_svg(b"<html/>", "p-")


def test_the_cli_writes_the_html_without_chromium_and_refuses_the_pdf_in_one_line(
        capsys, store_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from cli import main
    from tests.test_app_decide import _seed_run

    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-chromium"))
    run_id = _seed_run(store_file)
    out = tmp_path / "decision.html"
    code = main(["--db", str(store_file), "decide", "--runs", run_id, "--format", "html", "--out", str(out)])
    _, err = capsys.readouterr()
    assert code == 0 and "Traceback" not in err
    assert "not drawn: drawing charts needs chromium at" in out.read_text() and "<svg" not in out.read_text()
    code = main(["--db", str(store_file), "decide", "--runs", run_id, "--format", "pdf",
                 "--out", str(tmp_path / "decision.pdf")])
    _, err = capsys.readouterr()
    assert code == 1 and len(err.strip().splitlines()) == 1 and "PDF export needs Chromium at" in err
