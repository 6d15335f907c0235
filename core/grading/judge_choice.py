"""Which model to offer as the judge: the most capable one that is not a candidate, or none (ask).

A judge must be more capable than the answers it grades, and should not be one of the candidates
(judges favour their own answers). Preselecting whichever model is listed first once put an
arbitrary endpoint model in charge of quality, so the choice follows a stated rule:

* **Capable** = known to have at least ``MIN_JUDGE_BILLIONS`` billion parameters. The parameter count
  is read from the model's id where it names one (``qwen2.5-7b-instruct``, ``llama3.2:3b``,
  ``smollm2-135m``), else estimated from its size on disk (``size_mb``) at about 4.5 bits per weight,
  the int4 builds local catalogs ship. The default model (135M) never qualifies.
* Only models that can answer now: loaded, downloaded, or served by an endpoint (never one that
  would first need a download), and chat models only.
* Endpoint models whose size nobody reports rank below every model known to qualify, and above the
  rest (an endpoint is usually a server with more memory than this machine); several of them are a
  tie nobody can break, so then nothing is preselected.
* Nothing qualifies, or a tie: no preselection. The page asks the product owner to choose.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from core.engines.base import ModelEntry
from core.refs import parse_ref

MIN_JUDGE_BILLIONS = 1.0
_BITS_PER_WEIGHT = 4.5  # int4 weights plus scales and the unquantised embeddings
_READY_STATES = ("loaded", "cached", "remote")
_CHAT_TASKS = (None, "chat-completion", "coding", "vision-language-chat")
_PARAMS_RE = re.compile(r"(?<![a-z0-9.])(\d+(?:\.\d+)?)\s*([bm])(?![a-z])", re.IGNORECASE)


def parameters_billions(entry: ModelEntry) -> float | None:
    """Billions of parameters: named in the model id, else estimated from its size on disk, else None."""
    named = _PARAMS_RE.findall(entry.model_id.replace("_", "-"))
    if named:
        number, unit = named[-1]
        return float(number) / (1000 if unit.lower() == "m" else 1)
    if entry.size_mb:
        return entry.size_mb * 1e6 * 8 / _BITS_PER_WEIGHT / 1e9
    return None


@dataclass(frozen=True)
class JudgeSuggestion:
    """The preselected judge (``None``: ask) and why, in one sentence for the page."""

    ref: str | None
    reason: str


def _is_candidate(entry: ModelEntry, candidates: Sequence[str]) -> bool:
    ids = {parse_ref(ref).model_id.lower() for ref in candidates}
    return entry.ref in candidates or entry.model_id.lower() in ids


def suggest_judge(models: Sequence[ModelEntry], candidates: Sequence[str]) -> JudgeSuggestion:
    """The most capable ready chat model that is not a candidate (see the module's rule), or none."""
    usable = [m for m in models if m.state in _READY_STATES and m.task in _CHAT_TASKS
              and not _is_candidate(m, candidates)]
    sized = sorted(((parameters_billions(m), m) for m in usable), key=lambda pair: -(pair[0] or 0))
    capable = [(b, m) for b, m in sized if b is not None and b >= MIN_JUDGE_BILLIONS]
    if capable:
        billions, best = capable[0]
        return JudgeSuggestion(best.ref, f"Preselected {best.ref}: the largest model here that is not a candidate "
                                         f"(about {billions:.1f} B parameters).")
    unknown = [m for b, m in sized if b is None and m.state == "remote"]
    if len(unknown) == 1:
        return JudgeSuggestion(unknown[0].ref, f"Preselected {unknown[0].ref}: the only endpoint model that is not a "
                                               "candidate (its size is not reported; local models here are too "
                                               "small to judge).")
    why = ("several endpoint models of unreported size are equally likely" if unknown else
           f"no model here that is not a candidate is known to have {MIN_JUDGE_BILLIONS:g} B parameters or more")
    return JudgeSuggestion(None, f"Choose the judge: {why}. A judge should be more capable than the models it "
                                 "grades (the default 135M model is too small to judge reliably).")
