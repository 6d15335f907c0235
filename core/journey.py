"""The newcomer's path through Pickwise, and which step comes next given what the store holds.

Kept out of the page so the rule ("prepare a model, probe it, benchmark, ...") is testable.
"""

from __future__ import annotations

from dataclasses import dataclass

from store import Store, queries
from store.queries import benchmark_runs
from store.records import Run


@dataclass(frozen=True)
class Step:
    title: str
    summary: str


STEPS = (
    Step("Models", "find, download, load and probe Foundry Local models and OpenAI-compatible endpoints."),
    Step("Benchmark", "run fixed prompt sets across models: time to first token, latency, tokens/s, memory."),
    Step("Compare", "see the runs side by side, with uncertainty, including GPU against CPU."),
    Step("Grade", "score the answers with a judge model and by hand, blind."),
    Step("Decide", "weigh speed, quality, memory, footprint and license; export a decision record."),
)


@dataclass(frozen=True)
class Suggestion:
    text: str
    page: str | None = None
    link_label: str = ""


def next_step(store: Store) -> Suggestion:
    """The furthest step the store shows as done decides what comes next."""
    if any(r.status == "completed" for r in benchmark_runs(store)):
        return Suggestion(
            "You have benchmark results: compare them side by side, then grade the answers (judge model or "
            "blind by hand) on Grade. Another prompt set, device or more rounds makes the evidence stronger.",
            "app_pages/compare.py",
            "Go to Compare",
        )
    if queries.first(store, Run, kind="probe", status="completed"):
        return Suggestion(
            "A model answers. Add the other candidates on Models (Foundry Local models or OpenAI-compatible "
            "endpoints), then benchmark them on a prompt set.",
            "app_pages/benchmark.py",
            "Go to Benchmark",
        )
    return Suggestion(
        "Open Models, prepare the default model if it is not there yet, and send it a probe prompt.",
        "app_pages/models.py",
        "Go to Models",
    )
