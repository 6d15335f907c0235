"""How long does exporting a decision record take, as HTML and as PDF, for 2 and for 8 models?

The HTML export draws the four Decide charts (``core.decide.charts``) as SVG with kaleido, which
drives the system chromium; the PDF is that HTML printed by chromium. This times both per model
count on a synthetic decision (every model with quality, memory, disk and a license, so every chart
has every model), each export from scratch as the app's download button and the CLI pay it; and the
four charts alone as SVG, in one chromium session and with a chromium start per chart.

Run: ``.venv/bin/python benchmarks/decision_export.py [--models 2 8] [--reps 3] [--json]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.chart_images import figure_images  # noqa: E402
from core.decide import report  # noqa: E402
from core.decide.candidates import candidate_table  # noqa: E402
from core.decide.charts import record_charts  # noqa: E402
from core.decide.decision import build_decision  # noqa: E402
from core.decide.settings import SelectionSettings, default_criteria  # noqa: E402
from tests.test_selection import model_entry, run_doc  # noqa: E402

WEIGHTS = {"latency": 30, "throughput": 15, "memory": 15, "quality": 30, "footprint": 5, "license": 5}


def decision(models: int) -> dict:
    """A decision over ``models`` models with spread-out figures (so the charts are not degenerate)."""
    refs = [f"foundry-local:model-{i}:1" for i in range(models)]
    run = run_doc("run-1", "2026-03-01T10:00:00+00:00", {
        ref: model_entry(0.5 + 0.3 * i, 0.9 + 0.4 * i, 60 - 5 * i, peak=500 + 150 * i, disk=300 + 200 * i)
        for i, ref in enumerate(refs)})
    quality = {ref: {"mean": 2.5 + (i * 7 % models) * 2 / models, "ci95_low": 2.0, "ci95_high": 4.5, "n": 16}
               for i, ref in enumerate(refs)}
    specs = {ref: {"license": ("mit", "apache-2.0", "llama3")[i % 3]} for i, ref in enumerate(refs)}
    return build_decision(candidate_table([run], specs, quality),
                          SelectionSettings(criteria=default_criteria(WEIGHTS)), title=f"{models} models",
                          decided_on="2026-03-02")


def svg_one_session(record: dict) -> list[bytes]:
    figures = [chart.figure for chart in record_charts(record) if chart]
    return figure_images(figures, fmt="svg", width=report.CHART_WIDTH)


def svg_chromium_per_chart(record: dict) -> list[bytes]:
    figures = [chart.figure for chart in record_charts(record) if chart]
    return [figure_images([f], fmt="svg", width=report.CHART_WIDTH)[0] for f in figures]


def timed(render, record: dict, reps: int) -> list[float]:
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        render(record)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, nargs="+", default=[2, 8])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="one JSON line per model count")
    args = parser.parse_args()
    for models in args.models:
        record = decision(models)
        times = {"html": report.to_html, "pdf": report.to_pdf, "svg_one_session": svg_one_session,
                 "svg_chromium_per_chart": svg_chromium_per_chart}
        line: dict = {"models": models, "html_kb": round(len(report.to_html(record).encode()) / 1024, 1)}
        for name, render in times.items():
            taken = timed(render, record, args.reps)
            line |= {f"{name}_median_s": round(statistics.median(taken), 3), f"{name}_max_s": round(max(taken), 3)}
        print(json.dumps(line) if args.json else
              f"{models} models: " + ", ".join(f"{k} {v}" for k, v in line.items() if k != "models"))


if __name__ == "__main__":
    main()
