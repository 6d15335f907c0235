"""``benchmarks/store_insert.py --json``: the figures the issue's targets are read from, as one JSON line.

Run small (3,000 samples) so it costs about a second; the real measurements are in BENCHMARKS.md.
"""

from __future__ import annotations

import json
import subprocess
import sys

from core.paths import REPO_ROOT


def test_json_mode_prints_one_line_with_the_target_figures() -> None:
    done = subprocess.run(
        [sys.executable, "benchmarks/store_insert.py", "--existing", "3000", "--batch", "100", "--reps", "2",
         "--pause", "0", "--json"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=True,
    )
    (line,) = done.stdout.splitlines()
    figures = json.loads(line)
    assert figures["existing"] == 3000 and figures["batch"] == 100
    for key in ("append_median_s", "append_max_s", "open_fresh_s"):
        assert 0 < figures[key] < 5, (key, figures)
    assert figures["append_median_s"] <= figures["append_max_s"]
