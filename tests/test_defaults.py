"""One product, two doors: the app's forms start where the CLI's flags do (``core.defaults``,
``BenchmarkSettings.default_values``), so a "default" run is the same run from either."""

from __future__ import annotations

from pathlib import Path

from cli import build_parser
from tests.conftest import open_app


def _cli_defaults(*argv: str):
    return build_parser().parse_args(list(argv))


def test_the_benchmark_form_starts_at_the_cli_defaults(app_store: Path) -> None:
    at = open_app("app_pages/benchmark.py").run()
    assert not at.exception, at.exception
    cli = _cli_defaults("bench", "--models", "m.json", "--prompt-set", "x")
    form = {key: at.number_input(key=f"bench-{key}").value for key in ("warmup", "rounds", "max-tokens", "timeout",
                                                                        "seed")}
    assert form == {"warmup": cli.warmup, "rounds": cli.rounds, "max-tokens": cli.max_tokens,
                    "timeout": cli.timeout, "seed": cli.seed}
    assert at.multiselect(key="bench-concurrency").value == cli.concurrency


def _probe_page() -> None:
    from components.probe_panel import probe_panel

    probe_panel(["fake:m"], lambda *args: None, None, None)


def test_the_probe_form_starts_at_the_cli_defaults() -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_probe_page).run()
    assert not at.exception, at.exception
    cli = _cli_defaults("probe", "fake:m", "--prompt", "hi")
    assert at.number_input(key="probe-max-tokens").value == cli.max_tokens
    assert at.number_input(key="probe-timeout").value == cli.timeout


def test_the_decide_form_starts_at_the_cli_defaults(app_store: Path) -> None:
    from tests.test_app_decide import _seed_run

    _seed_run(app_store)
    at = open_app("app_pages/decide.py").run()
    assert not at.exception, at.exception
    cli = _cli_defaults("decide", "--runs", "r", "--out", "d.md")
    assert at.text_input(key="d-title").value == cli.title
    assert at.radio(key="latency-stat").value == cli.latency
    assert at.radio(key="missing-rule").value == cli.missing_data


def test_grading_starts_on_the_cli_rubric() -> None:
    from components.grading_widgets import DEFAULT_RUBRIC

    assert DEFAULT_RUBRIC == _cli_defaults("judge", "--run", "r", "--judge", "s:m").rubric \
        == _cli_defaults("grades", "export", "--run", "r", "--out", "x.csv").rubric
