"""Grading: how good are the answers, not only how fast. One concept per module:

* ``rubric``          criteria with five anchored levels, versioned in the ``rubrics`` table
* ``presets``         the built-in rubrics (the registry pages offer)
* ``items``           what is graded: the distinct answers of a run under stable, blind ids
* ``parse``           reading scores out of a judge's free-form reply (JSON, then text patterns)
* ``judge``           LLM-as-judge as a background job -> ``judgments`` table (constrained verdicts, guardrails)
* ``judge_loop``      the request loop judging jobs share: load the judge once, ask item by item, store in batches
* ``controls``        known-good and known-bad control answers: is this judge qualified for a rubric?
* ``judge_choice``    which model to preselect as the judge (the most capable non-candidate, or ask)
* ``judge_progress``  where judging a run stands: the job, answers judged per judge, replies read
* ``judge_samples``   several judge samples of one question: their mean and spread
* ``pairwise_prompt`` the pairwise judge's question (both answers fenced) and reading its verdict
* ``pairwise``        pairwise judging (both orders, k samples) as a background job -> ``pairwise_verdicts``
* ``pairwise_results`` position consistency, win rates per pair, Bradley-Terry strengths
* ``proportions``     exact intervals for shares and win rates with ties (small n)
* ``bradley_terry``   one scale for every model from pairwise outcomes
* ``manual``          blind queue, grades, CSV export/import -> ``grades`` table
* ``agreement``       judge vs people (weighted kappa, Spearman), people with each other (Krippendorff's
                      ordinal alpha), each with a verdict in words
* ``thresholds``      a figure's label by the thresholds it clears, shown so figure and label never contradict
* ``coefficients``    kappa and Spearman from score tables, each with a 95% interval over answers (jackknife)
* ``score_mean``      a mean 1-5 score with a 95% interval that holds at small n
* ``results``         per-model quality over answers (several graders averaged per answer) with intervals,
                      length bias, judge parse-failure rates
* ``quality_ties``    the quality ranking read pair by pair: a statistical tie where the intervals overlap
* ``run_results``     what the Grade page's Results tab shows for one run and rubric version
* ``judge_gate``      a judge's scores count in a decision only if it is qualified, or with a stated reason
* ``quality_source``  which grades feed a decision (a judge's, people's, none): the Decide page and the CLI
* ``examples``        a decision record's example answers beside their grades (lowest, middle, highest scored)

Pages import from here; nothing in this package imports Streamlit.
"""

from core.grading.agreement import (
    Agreement,
    PeopleAgreement,
    judge_human_agreement,
    krippendorff_alpha_ordinal,
    people_agreement,
    quadratic_weighted_kappa,
    spearman,
)
from core.grading.items import GradingItem, grading_items
from core.grading.judge import (
    build_judge_messages,
    execute_judging,
    judge_item,
    judge_warning,
    start_judging,
)
from core.grading.judge_samples import SampleSpread, mean_and_spread
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
from core.grading.pairwise import execute_pairwise, start_pairwise
from core.grading.pairwise_results import PairwiseSummary, pairwise_judges, pairwise_summary
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
from core.grading.score_mean import ScoreMean, score_mean

__all__ = [
    "PRESETS", "Agreement", "BlindItem", "Criterion", "GradingItem",
    "GradingQueue", "ImportReport", "LengthBias", "ModelQuality", "PairwiseSummary", "ParseStats", "ParsedReply",
    "PeopleAgreement", "RowProblem", "Rubric", "SampleSpread", "ScoreMean", "blind_queue", "build_judge_messages",
    "execute_judging", "execute_pairwise", "export_annotation_csv", "get_rubric", "grading_items",
    "import_annotation_csv", "install_presets", "judge_human_agreement", "judge_item", "judge_warning",
    "krippendorff_alpha_ordinal", "length_bias", "list_rubrics", "mean_and_spread", "pairwise_judges",
    "pairwise_summary", "parse_failure_rates", "parse_reply", "people_agreement", "quadratic_weighted_kappa",
    "quality_by_model", "record_grade", "rubric_versions", "save_rubric", "score_mean", "spearman", "start_judging",
    "start_pairwise",
]
