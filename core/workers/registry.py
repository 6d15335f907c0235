"""Which function does each kind of job, named as ``"module:function"`` and imported only in the worker.

Named rather than imported so the spawner (any page, any step) needs none of the jobs' modules, and a kind whose
module is missing from this tree fails only the job that asks for it, with a sentence, never an import here.
Each function is ``function(store, params, ctx) -> str | Incomplete | None`` (``core.jobs``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from store.records import JobKinds

JOB_FUNCTIONS: Mapping[str, str] = {
    JobKinds.BENCHMARK: "core.benchmark.runner:benchmark_job",
    JobKinds.JUDGE: "core.grading.judge:judge_job",
    JobKinds.PAIRWISE: "core.grading.pairwise:pairwise_job",
    JobKinds.PREPARE_DEFAULT: "core.models.model_jobs:prepare_default_job",
    JobKinds.DOWNLOAD: "core.models.model_jobs:download_job",
    JobKinds.PROBE: "core.benchmark.probe:probe_job",
    JobKinds.ADD_MODEL: "core.models.model_jobs:add_model_job",
}


class UnknownJob(Exception):
    """The job's kind has no function in this version of Pickwise (the message says so)."""


def job_function(kind: str) -> Callable[..., Any]:
    """The function for ``kind``, imported now. Raises ``UnknownJob`` with one sentence when there is none."""
    target = JOB_FUNCTIONS.get(kind)
    if target is None:
        raise UnknownJob(f"This version of Pickwise does not know how to run a {kind!r} job; update it or "
                         "start the job again.")
    module_name, _, name = target.partition(":")
    try:
        function = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError) as exc:
        raise UnknownJob(f"This version of Pickwise cannot run a {kind!r} job ({target} is missing); update "
                         "it or start the job again.") from exc
    return function
