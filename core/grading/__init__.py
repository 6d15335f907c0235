"""Grading: how good are the answers, not only how fast. One concept per module:

* ``rubric``          criteria with five anchored levels, versioned in the ``rubrics`` table
* ``presets``         the built-in rubrics (the registry pages offer)
* ``items``           what is graded: the distinct answers of a run under stable, blind ids
* ``parse``           reading scores out of a judge's free-form reply (JSON, then text patterns)
* ``judge``           LLM-as-judge as a background job -> ``judgments`` table (constrained verdicts, guardrails)
* ``controls``        known-good and known-bad control answers: is this judge qualified for a rubric?
* ``judge_choice``    which model to preselect as the judge (the most capable non-candidate, or ask)
* ``judge_progress``  where judging a run stands: the job, answers judged per judge, replies read
* ``manual``          blind queue, grades, CSV export/import -> ``grades`` table
* ``agreement``       judge vs people: weighted kappa, Spearman, a verdict in words
* ``results``         per-model quality with CIs, length bias, judge parse-failure rates
* ``run_results``     what the Grade page's Results tab shows for one run and rubric version
* ``quality_source``  which grades feed a decision (a judge's, people's, none): the Decide page and the CLI

Pages import from here; nothing in this package imports Streamlit.
"""

from core.grading.agreement import Agreement, judge_human_agreement, quadratic_weighted_kappa, spearman
from core.grading.items import GradingItem, grading_items
from core.grading.judge import (
    build_judge_messages,
    execute_judging,
    judge_item,
    judge_warning,
    start_judging,
)
from core.grading.manual import (
    BlindItem,
    GradingQueue,
    ImportReport,
    RowProblem,
    blind_queue,
    export_annotation_csv,
    import_annotation_csv,
    record_grade,
)
from core.grading.parse import ParsedReply, parse_reply
from core.grading.presets import PRESETS, install_presets
from core.grading.results import (
    LengthBias,
    ModelQuality,
    ParseStats,
    length_bias,
    parse_failure_rates,
    quality_by_model,
)
from core.grading.rubric import Criterion, Rubric, get_rubric, list_rubrics, rubric_versions, save_rubric

__all__ = [
    "PRESETS", "Agreement", "BlindItem", "Criterion", "GradingItem",
    "GradingQueue", "ImportReport", "LengthBias", "ModelQuality", "ParseStats", "ParsedReply", "RowProblem",
    "Rubric", "blind_queue", "build_judge_messages", "execute_judging", "export_annotation_csv", "get_rubric",
    "grading_items", "import_annotation_csv", "install_presets", "judge_human_agreement", "judge_item",
    "judge_warning", "length_bias", "list_rubrics", "parse_failure_rates", "parse_reply", "quadratic_weighted_kappa",
    "quality_by_model", "record_grade", "rubric_versions", "save_rubric", "spearman", "start_judging",
]
