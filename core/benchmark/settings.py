"""What a benchmark run repeats: its models, prompts, rounds and request settings, checked against the limits.

Kept apart from the runner because the CLI and the Benchmark form build and validate settings long before
anything runs, and the stored run keeps them (``runs.settings``) so a run can be repeated or recomputed.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields, replace
from typing import Any

from core import defaults, limits
from core.benchmark.slo import check_metric
from core.engines.base import ChatParams
from core.refs import parse_ref


@dataclass
class BenchmarkSettings:
    """Everything needed to repeat a run. ``prompts`` items are ``{id, prompt, reference?, aspects?}``."""

    models: list[str]
    prompts: list[dict[str, Any]]
    prompt_set_name: str = "custom"
    warmup: int = 1
    rounds: int = 3
    max_output_tokens: int = 256  # long enough for a summary, so decode speed dominates the latency
    temperature: float = 0.0
    seed: int | None = 42
    timeout_s: float = defaults.REQUEST_TIMEOUT_S
    concurrency: list[int] = field(default_factory=lambda: [1])
    slo: dict[str, float] = field(default_factory=dict)  # e.g. {"ttft_s": 0.5, "e2e_s": 3.0}: seconds, at most

    @classmethod
    def default_values(cls) -> dict[str, Any]:
        """Every setting that has a default, by field name: the Benchmark form's first values and the
        defaults of ``cli.py bench``'s flags, so both doors start a run the same way."""
        return {f.name: f.default_factory() if f.default_factory is not MISSING else f.default
                for f in fields(cls) if f.default is not MISSING or f.default_factory is not MISSING}

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first setting a user must fix, in one sentence.

        The last line of defence for every way settings arrive (CLI, form, stored run): numbers must
        be finite and within ``core.limits``; whole numbers written as floats (``3.0``) become ints."""
        if not self.models:
            raise ValueError("Choose at least one model.")
        if len(self.models) > limits.MAX_MODELS:
            raise ValueError(f"{len(self.models)} models chosen; a run takes at most {limits.MAX_MODELS}: "
                             "split them over several runs.")
        for ref in self.models:
            parse_ref(ref)
        if not self.prompts:
            raise ValueError("The prompt set is empty: choose a set or import a prompts file.")
        self.rounds = int(limits.ROUNDS.check(self.rounds))
        self.warmup = int(limits.WARMUP.check(self.warmup))
        self.max_output_tokens = int(limits.MAX_OUTPUT_TOKENS.check(self.max_output_tokens))
        self.timeout_s = float(limits.TIMEOUT_S.check(self.timeout_s))
        self.temperature = float(limits.TEMPERATURE.check(self.temperature))
        if not self.concurrency:
            raise ValueError("Choose at least one concurrency level.")
        self.concurrency = [int(limits.CONCURRENCY.check(level)) for level in self.concurrency]
        self.slo = {check_metric(metric): float(replace(limits.SLO_TARGET, label=f"Target {metric}").check(target))
                    for metric, target in self.slo.items()}
        if (total := self.total_requests()) > limits.MAX_TOTAL_REQUESTS:
            raise ValueError(f"This run would send {total:,} requests; the limit is {limits.MAX_TOTAL_REQUESTS:,}: "
                             "use fewer rounds, prompts, models or concurrency levels.")

    def chat_params(self) -> ChatParams:
        return ChatParams(max_output_tokens=self.max_output_tokens, temperature=self.temperature,
                          seed=self.seed, timeout_s=self.timeout_s)

    def total_requests(self) -> int:
        per_level = len(self.prompts) * self.rounds
        return len(self.models) * (len(self.prompts) * self.warmup + per_level * len(self.concurrency))
