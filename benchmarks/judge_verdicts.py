"""Can the default model's verdicts be read? Parse-failure rate and seconds per verdict, per prompt set.

The default model (SmolLM2-135M) answers every built-in prompt set once (rounds 1, no warm-up),
then judges every answer (and the control answers) under a rubric through
``core.grading.judge.execute_judging``, the code the app and ``cli.py judge`` run. Per set: verdicts,
unscored ones, the parse-failure rate, how the scores were obtained, seconds per verdict (wall time of
the judging pass over the verdicts it produced) and the judge's control verdict. Each invocation
uses a fresh store (temperature 0 and a fixed seed: the default model writes the same answers every
time), so two versions of the judge are compared on the same answers.

    .venv/bin/python benchmarks/judge_verdicts.py [--rubric helpfulness] [--max-tokens 128]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.benchmark.prompt_sets.builtin import builtin_prompt_sets  # noqa: E402
from core.benchmark.runner import create_run, execute_run  # noqa: E402
from core.benchmark.settings import BenchmarkSettings  # noqa: E402
from core.engines.foundry_local import get_foundry_engine  # noqa: E402
from core.grading.controls import judge_qualification  # noqa: E402
from core.grading.judge import execute_judging  # noqa: E402
from core.grading.presets import PRESETS, install_presets  # noqa: E402
from core.grading.rubric import get_rubric  # noqa: E402
from core.models.default_model.pipeline import DEFAULT_MODEL_ID  # noqa: E402
from core.models.sources import Sources  # noqa: E402
from core.refs import FOUNDRY_SOURCE  # noqa: E402
from store import Store, queries  # noqa: E402
from store.records import Judgment  # noqa: E402

DEFAULT_REF = f"{FOUNDRY_SOURCE}:{DEFAULT_MODEL_ID}"


class _Quiet:
    cancelled = False

    def progress(self, done: float, total: float | None, message: str = "", *, force: bool = False) -> None:
        if force or (total and done == total):
            print(f"  {message}", file=sys.stderr, flush=True)


def _runs(store: Store, sources: Sources, max_tokens: int) -> dict[str, str]:
    """Prompt set name -> run id: one run of the default model per built-in set."""
    stored = {}
    for name, prompts in builtin_prompt_sets().items():
        settings = BenchmarkSettings(models=[DEFAULT_REF], prompts=[p.model_dump(exclude_none=True) for p in prompts],
                                     prompt_set_name=name, warmup=0, rounds=1, max_output_tokens=max_tokens)
        run_id = create_run(store, settings)
        print(f"bench {name}: run {run_id}", file=sys.stderr, flush=True)
        execute_run(store, run_id, _Quiet())
        stored[name] = run_id
    return stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rubric", default="helpfulness", choices=sorted(PRESETS))
    parser.add_argument("--max-tokens", type=int, default=128, help="the candidates' answers (the benchmark step)")
    args = parser.parse_args()

    store = Store(Path(tempfile.mkdtemp(prefix="pickwise-judge-bench-")) / "pickwise.json")
    install_presets(store)
    rubric = get_rubric(store, args.rubric)
    assert rubric is not None
    sources = Sources(store, get_foundry_engine())
    results = {}
    for name, run_id in _runs(store, sources, args.max_tokens).items():
        started = time.perf_counter()
        counts = execute_judging(sources, store, run_id, DEFAULT_REF, rubric, _Quiet())
        seconds = time.perf_counter() - started
        judgments = queries.find(store, Judgment, run_id=run_id, judge_ref=DEFAULT_REF, rubric_name=rubric.name)
        unscored = sum(j.status != "scored" for j in judgments)
        asked = len(judgments)  # answers and control answers, all judged by this pass
        qualification = judge_qualification(store, run_id, DEFAULT_REF, rubric)
        results[name] = {"run_id": run_id, "verdicts": asked, "answers": counts["judged"], "unscored": unscored,
                         "parse_failure_rate": round(unscored / asked, 3) if asked else None,
                         "methods": dict(Counter(j.method for j in judgments)),
                         "seconds_per_verdict": round(seconds / asked, 2) if asked else None,
                         "controls": qualification.verdict if qualification else None}
        print(f"{name}: {results[name]}", file=sys.stderr, flush=True)
    print(json.dumps({"judge": DEFAULT_REF, "rubric": rubric.label, "sets": results}, indent=2))


if __name__ == "__main__":
    main()
