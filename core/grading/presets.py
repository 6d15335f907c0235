"""Built-in rubrics, so a product owner can grade without writing one first.

The level texts describe observable properties of an answer (what it contains, omits or gets
wrong) rather than impressions ("good", "great"), because anchors a grader can check are what make
a 4 from one grader mean the same as a 4 from another.
"""

from __future__ import annotations

from core.grading.rubric import Criterion, Rubric, get_rubric, save_rubric
from store import Store

HELPFULNESS = Rubric(
    name="helpfulness",
    description="Does the answer actually help the person who asked?",
    criteria=(
        Criterion(
            "helpfulness",
            "Helpfulness",
            "How well does the response address what the user asked for?",
            (
                "Does not address the request, refuses without reason, or is unusable.",
                "Touches the request but misses its main point or is mostly unusable.",
                "Addresses the main point but leaves important gaps the user must fill themselves.",
                "Addresses the request well with only minor gaps or rough edges.",
                "Fully addresses the request; the user could act on it directly.",
            ),
        ),
    ),
)

CORRECTNESS = Rubric(
    name="correctness",
    description="Is the answer right, judged against the prompt's reference answer?",
    uses_reference=True,
    criteria=(
        Criterion(
            "correctness",
            "Correctness",
            "How far do the facts and conclusions of the response agree with the reference answer?",
            (
                "Contradicts the reference on its main point, or is entirely wrong.",
                "Gets the main point wrong or mostly wrong, with some correct details.",
                "Main point right, but with a significant error or omission compared to the reference.",
                "Agrees with the reference; only minor slips or missing minor details.",
                "Fully agrees with the reference; nothing wrong, nothing essential missing.",
            ),
        ),
    ),
)

CONCISENESS = Rubric(
    name="conciseness",
    description="Does the answer say what is needed without padding?",
    criteria=(
        Criterion(
            "conciseness",
            "Conciseness",
            "How much of the response is needed to answer the request?",
            (
                "Mostly padding, repetition or off-topic text; the answer is hard to find.",
                "Much more text than needed: long preambles, repetition or unrequested detail.",
                "Noticeably longer than needed, but the answer is easy to find.",
                "Brief, with at most a sentence that could be cut.",
                "Every sentence is needed; nothing to cut, nothing essential left out.",
            ),
        ),
    ),
)

INSTRUCTION_FOLLOWING = Rubric(
    name="instruction-following",
    description="Does the answer obey the explicit instructions (format, length, language, constraints)?",
    criteria=(
        Criterion(
            "instruction_following",
            "Instruction following",
            "How many of the explicit instructions in the prompt does the response obey?",
            (
                "Ignores the instructions or does something else entirely.",
                "Obeys a minority of the instructions; the main constraint is broken.",
                "Obeys the main instruction but breaks one or more explicit constraints.",
                "Obeys every instruction with one small deviation (e.g. slightly over a length limit).",
                "Obeys every explicit instruction exactly.",
            ),
        ),
    ),
)

SUMMARY_FAITHFULNESS = Rubric(
    name="summary-faithfulness",
    description="For summarisation prompts: is the summary true to the source text in the prompt?",
    criteria=(
        Criterion(
            "faithfulness",
            "Faithfulness",
            "Is every statement in the summary supported by the source text given in the prompt?",
            (
                "Mostly invented or contradicts the source.",
                "Several statements are unsupported by or contradict the source.",
                "One clear unsupported or distorted statement.",
                "All statements supported; a minor imprecision in wording or emphasis.",
                "Every statement is supported by the source; nothing added or distorted.",
            ),
        ),
        Criterion(
            "coverage",
            "Coverage",
            "Does the summary include the key points of the source?",
            (
                "Misses nearly all key points.",
                "Misses most key points.",
                "Includes about half of the key points.",
                "Includes most key points; one secondary point missing.",
                "Includes every key point of the source.",
            ),
        ),
    ),
)

PRESETS: dict[str, Rubric] = {
    r.name: r for r in (HELPFULNESS, CORRECTNESS, CONCISENESS, INSTRUCTION_FOLLOWING, SUMMARY_FAITHFULNESS)
}


def install_presets(store: Store) -> list[Rubric]:
    """Save each preset whose name is not in the store yet; return the latest stored version of each.

    A name already present is left alone, so a user's edited preset (saved as a new version) stays
    the latest instead of being reverted at the next start-up.
    """
    return [get_rubric(store, name) or save_rubric(store, rubric) for name, rubric in PRESETS.items()]
