"""Every table ``cli.py`` prints, on a run with missing figures (a model that failed to load, an endpoint with
no memory figure): a missing figure reads "n/a", never ``None`` or ``NaN``; ``bench`` shows every concurrency
level with its throughput, not only the lowest."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from core.table_text import cell_text
from tests.fake_openai_server import FakeOpenAIServer, Scenario, down_base_url
from tests.test_cli import _run

NOT_A_FIGURE = re.compile(r"\b(None|NaN|nan|inf)\b")


@pytest.fixture
def bench_output(capsys, store_file: Path, tmp_path: Path) -> tuple[str, str]:
    """``bench`` over two levels, one model answering and one that cannot be reached: (run id, stderr)."""
    prompts = tmp_path / "prompts.json"
    prompts.write_text(json.dumps(["Say hi.", "Say bye."]))
    models = tmp_path / "models.json"
    models.write_text(json.dumps({"fake": {"source": "fake", "model": "fake-model"},
                                  "gone": {"source": "gone", "model": "fake-model"}}))
    with FakeOpenAIServer(Scenario(n_tokens=4)) as server:
        _run(capsys, store_file, "endpoints", "add", "fake", "--base-url", server.base_url)
        _run(capsys, store_file, "endpoints", "add", "gone", "--base-url", down_base_url())
        code, out, err = _run(capsys, store_file, "bench", "--models", str(models), "--prompts", str(prompts),
                              "--rounds", "1", "--warmup", "0", "--concurrency", "1", "2")
    assert code == 0, err
    return out.split("run_id: ")[1].strip(), err


def test_bench_prints_every_concurrency_level_with_its_throughput(bench_output: tuple[str, str]) -> None:
    _, err = bench_output
    levels = err.split("Every concurrency level")[1]
    rows = {tuple(line.split()[:2]) for line in levels.splitlines()[2:] if line.strip()}
    assert {("fake:fake-model", "1"), ("fake:fake-model", "2"), ("gone:fake-model", "1"),
            ("gone:fake-model", "2")} <= rows
    for line in levels.splitlines()[2:]:
        if line.split()[:1] == ["fake:fake-model"]:
            assert float(line.split()[-1]) > 0  # each level's own throughput
        elif line.split()[:1] == ["gone:fake-model"]:
            assert line.split()[-1] == "n/a"


def test_no_cli_table_prints_none_or_nan(capsys, store_file: Path, tmp_path: Path,
                                         bench_output: tuple[str, str]) -> None:
    run_id, err = bench_output
    printed = {"bench": err}
    for name, argv in {"runs list": ["runs", "list"], "runs show": ["runs", "show", run_id],
                       "compare": ["compare", "--runs", run_id],
                       "decide": ["decide", "--runs", run_id, "--format", "md", "--out", str(tmp_path / "d.md")]
                       }.items():
        code, out, err = _run(capsys, store_file, *argv)
        assert code == 0, (name, err)
        printed[name] = out + err
    found = {name: NOT_A_FIGURE.findall(text) for name, text in printed.items()}
    assert {name: hits for name, hits in found.items() if hits} == {}


@pytest.mark.parametrize(("value", "shown"), [(None, "n/a"), (float("nan"), "n/a"), (float("inf"), "n/a"),
                                              ("", "n/a"), (0, "0"), (0.1 + 0.2, "0.3"), (12.0, "12"), ("x", "x")])
def test_a_cell_is_a_figure_or_n_a(value: object, shown: str) -> None:
    assert cell_text(value) == shown
