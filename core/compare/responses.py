"""The answers side by side: per prompt, what each group answered (its earliest counted round, or why it failed)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from core.compare.groups import Group
from store.queries import counted_samples
from store.records import Run


def prompt_texts(runs: Iterable[Run]) -> dict[str, str]:
    """prompt id -> prompt text, from the prompt sets as the runs used them."""
    texts: dict[str, str] = {}
    for run in runs:
        for prompt in run.prompt_set.prompts:
            texts.setdefault(prompt.id, prompt.prompt)
    return texts


def answer_of(group: Group, prompt_id: str) -> str | None:
    """The group's answer to a prompt: its earliest counted round, else why it failed; ``None`` if never asked."""
    asked = [s for s in group.samples if s["prompt_id"] == prompt_id and not s.get("warmup")]
    if not asked:
        return None
    ok = counted_samples(asked)
    if ok:
        return min(ok, key=lambda s: s.get("round", 0)).get("text") or ""
    return f"(failed: {asked[0].get('error')})"


def _normalised(text: str | None) -> str:
    return " ".join((text or "").split())


@dataclass(frozen=True)
class PromptResponses:
    """One prompt and each group's answer (``None`` where the group did not ask it)."""

    prompt_id: str
    prompt: str
    answers: dict[str, str | None]

    @property
    def differs(self) -> bool:
        """True when the answers are not all the same text once whitespace is ignored."""
        return len({_normalised(a) for a in self.answers.values()}) > 1


def responses(
    groups: list[Group], prompts: Mapping[str, str], *, differences_only: bool = False
) -> list[PromptResponses]:
    """Per prompt, every group's answer side by side (keyed by ``Group.key``), in prompt-set order."""
    rows = [PromptResponses(pid, text, {g.key: answer_of(g, pid) for g in groups}) for pid, text in prompts.items()]
    return [r for r in rows if r.differs] if differences_only else rows
