"""Built-in prompt sets, shipped as ``prompts.json`` files so they load through the same validation.

A product owner should be able to benchmark before writing a single prompt, and every run of a
built-in set must ask exactly the same thing, so the sets are fixed files, never generated at run time:

* RAG and local inference: the four prompts of the original workshop script, now with reference
  answers and grading aspects.
* Meeting-notes summarisation: the feature the workshop scenario is about (offline meeting notes).
* Prompt-length ladder: one task over inputs of 50 to 2,000 words, so TTFT against prompt size shows.
  Its file is produced by ``length_ladder()`` from a fixed passage; after changing either, run
  ``python -c "from core.benchmark.prompt_sets.builtin import regenerate_length_ladder; regenerate_length_ladder()"``
  (a test fails while the file and the code disagree).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from core.config import PromptItem, dump_prompts_config, load_prompts_config

RAG = "RAG and local inference"
MEETINGS = "Meeting-notes summarisation"
LADDER = "Prompt-length ladder"

_FILES = {
    RAG: "rag_local_inference.json",
    MEETINGS: "meeting_notes.json",
    LADDER: "prompt_length_ladder.json",
}

BUILTIN_DESCRIPTIONS: dict[str, str] = {
    RAG: "Four short questions about RAG, local inference and small models (the original workshop set).",
    MEETINGS: "Six meeting transcripts of 200-250 words to summarise into decisions and action items.",
    LADDER: "One summarisation task over inputs of 50, 200, 800 and 2,000 words: shows how TTFT grows "
    "with prompt length.",
}

LADDER_WORD_COUNTS = (50, 200, 800, 2000)
LADDER_INSTRUCTION = "Summarise the following report in three bullet points.\n\nReport:\n"
LADDER_ASPECTS = ["gives exactly three bullet points", "uses only facts stated in the report"]

# Written for the ladder; repeated word by word to reach each length, so longer rungs repeat it.
LADDER_PASSAGE = """\
The Harbourview Water Cooperative serves eleven thousand households along the northern coast. In the
third quarter the cooperative replaced four kilometres of cast-iron mains on Quay Street and Mill Lane,
which had caused most of last winter's bursts. The work finished two weeks ahead of schedule and about
six percent under budget, mainly because the contractor reused excavated soil instead of buying fill.
Leakage across the network fell from nineteen to fifteen percent of treated water, the lowest figure
since records began. Customer complaints about low pressure dropped by a third, although complaints
about discoloured water rose briefly while the new mains were flushed. A heatwave in August pushed
daily demand to a record forty-two megalitres. The reservoir at Crane Hill fell to sixty-one percent,
so the board asked households to avoid hosepipes for ten days; no formal ban was needed. The
laboratory ran more than three thousand tests and every sample met the national drinking-water
standard. Energy remains the largest operating cost. The new solar array at the treatment works
produced a fifth of the site's electricity in its first full quarter, saving roughly forty thousand
pounds. The board approved a pilot of smart meters for five hundred homes in the Eastfield estate,
starting in January, to find hidden leaks on private pipes. Members will vote at the annual meeting on
a proposal to freeze standing charges for a second year while raising the volume charge by two
percent. Staff turnover was low, and two apprentices completed their qualifications and joined the
maintenance team. The main risk for next year is the ageing pumping station at Saltmarsh, which needs
new motors before the summer peak; the engineering team is preparing three options with costs for
the December board meeting."""


def builtin_prompt_sets() -> dict[str, list[PromptItem]]:
    """Every built-in set by name, validated like a user's ``prompts.json``."""
    folder = resources.files(__package__)
    return {
        name: load_prompts_config(folder.joinpath(filename).read_bytes(), filename=filename)
        for name, filename in _FILES.items()
    }


def ladder_text(n_words: int) -> str:
    """Exactly ``n_words`` words of the passage, cycled as needed, ending as a sentence."""
    words = LADDER_PASSAGE.split()
    picked = [words[i % len(words)] for i in range(n_words)]
    return " ".join(picked).rstrip(".,;:") + "."


def length_ladder() -> list[PromptItem]:
    """The ladder's items (ids ``len-0050``...); the shipped JSON is this, written out."""
    return [
        PromptItem(id=f"len-{n:04d}", prompt=LADDER_INSTRUCTION + ladder_text(n), aspects=LADDER_ASPECTS)
        for n in LADDER_WORD_COUNTS
    ]


def regenerate_length_ladder() -> Path:
    """Rewrite the ladder's JSON from ``length_ladder()`` (a maintenance step, not used at run time)."""
    path = Path(__file__).with_name(_FILES[LADDER])
    path.write_text(dump_prompts_config(length_ladder()), encoding="utf-8")
    return path
