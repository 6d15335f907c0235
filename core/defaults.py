"""The values a setting starts at, defined once for the app's forms and the CLI's flags.

Before, each door typed its own (max output tokens was 128 on the Benchmark page and 256 in ``cli.py
bench``), so the same "default" run measured different things. The benchmark's own defaults are the fields of
``core.benchmark.settings.BenchmarkSettings`` (``BenchmarkSettings.default_values()``);
what several steps share (a request's timeout) and the probe's budget are here.
"""

from __future__ import annotations

REQUEST_TIMEOUT_S = 120.0  # one request, benchmark, probe or judge verdict: local models on 2 cores can be slow
PROBE_MAX_OUTPUT_TOKENS = 128  # a probe checks that a model answers, not how it writes at length
RUBRIC = "helpfulness"  # the rubric grading starts on: it fits any prompt and needs no reference answer
DECISION_TITLE = "Model selection"  # a decision record's title until the product owner names it
