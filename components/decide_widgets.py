"""Widgets of the Decide page: weights and constraints, quality source, model metadata, the decision form.

Each takes plain data and returns the user's choice (or acts through a callback the page passes);
nothing here reads the store or computes a score.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from components.safe_text import md, md_literal
from core import defaults
from core.config import ModelSpec
from core.decide.candidates import Candidate, CandidateTable
from core.decide.decision import NO_MODEL_QUALIFIES, STATUSES, Examples, build_decision
from core.decide.lead import Lead
from core.decide.ranking import DIGITS, Ranking
from core.decide.settings import (
    CRITERIA,
    CRITERION_LABELS,
    DEFAULT_LICENSE_SCORES,
    DEFAULT_MISSING_DATA,
    DEFAULT_WEIGHTS,
    ENTERABLE,
    LATENCY_STATS,
    MISSING_DATA_RULES,
    NORMALISATIONS,
    Constraints,
    SelectionSettings,
    default_criteria,
)
from core.decide.usable import usable
from core.grading import Rubric
from core.grading.quality_source import NO_QUALITY, PEOPLE, DecisionQuality, QualityOptions, QualitySource
from core.models.specs import model_spec
from core.refs import is_remote
from store.records import ModelInfo


def _limit(col, label: str, key: str, step: float) -> float | None:
    value = col.number_input(label, min_value=0.0, value=0.0, step=step, key=key, help="0 means no limit")
    return value or None


def settings_panel(licenses: list[str]) -> SelectionSettings:
    """Weights (normalised to 100%), latency statistic, normalisation and hard constraints."""
    st.markdown("**Weights** — any numbers; they are turned into shares of 100%.")
    cols = st.columns(len(CRITERIA))
    weights = {key: col.slider(CRITERION_LABELS[key], 0, 100, int(DEFAULT_WEIGHTS[key]), key=f"w-{key}")
               for key, col in zip(CRITERIA, cols, strict=True)}
    c1, c2 = st.columns(2)
    latency_stat = c1.radio("Latency figure", LATENCY_STATS, horizontal=True, key="latency-stat")
    normalisation = c2.selectbox("Normalisation", NORMALISATIONS, key="normalisation",
                                 help="For the measured figures: minmax: best 1, worst 0; rank: by position; "
                                      "relative: value / best. Quality (1-5) and license (0-1) always count on "
                                      "their own scale.")
    st.markdown("**Hard constraints** — a model that breaks one is left out, with the reason.")
    c1, c2, c3, c4 = st.columns(4)
    constraints = Constraints(
        max_memory_mb=_limit(c1, "Max memory (MB)", "c-mem", 100.0),
        max_disk_mb=_limit(c2, "Max disk (MB)", "c-disk", 100.0),
        max_p95_latency_s=_limit(c3, "Max p95 latency (s)", "c-p95", 0.5),
        min_quality=_limit(c4, "Min quality (1-5)", "c-quality", 0.5),
        allowed_licenses=tuple(st.multiselect("Allowed licenses (empty = any)", licenses, key="c-licenses")) or None,
        unknown_passes=st.checkbox("Let unknown values pass the constraints", key="c-unknown"),
    )
    if not any(weights.values()):
        st.error("Give at least one criterion a weight above zero.")
        st.stop()
    return SelectionSettings(criteria=default_criteria(weights, normalisation), latency_stat=latency_stat,
                             constraints=constraints, license_scores=dict(DEFAULT_LICENSE_SCORES))


_ENTERED_FIELDS = {"memory": "memory_mb", "footprint": "disk_mb"}


def missing_data_panel(table: CandidateTable) -> tuple[str, dict[str, dict[str, float]]]:
    """The rule for a model missing a weighted figure (default: drop the criterion for everyone), and under
    "fill" the memory and disk figures typed in for the models without one: ``(rule, {ref: {criterion:
    value}})`` for ``SelectionSettings(missing_data=..., entered=...)``."""
    rules = list(MISSING_DATA_RULES)
    rule = st.radio("A model missing a weighted figure (an endpoint has no memory or disk figure)", rules,
                    index=rules.index(DEFAULT_MISSING_DATA), format_func=MISSING_DATA_RULES.get, horizontal=True,
                    key="missing-rule", help="Default: drop that criterion for every model, so models are compared "
                                             "on the figures they all have.")
    gaps = [c for c in table.candidates if any(usable(getattr(c, _ENTERED_FIELDS[k])) is None for k in ENTERABLE)]
    if rule != "fill" or not gaps:
        return rule, {}
    st.caption("Type the figures no run could measure; they are marked *entered by hand* in the table and the "
               "record, and checked against the limits like measured ones.")
    frame = pd.DataFrame([{"model": c.ref, **{CRITERION_LABELS[k] + " (MB)": getattr(c, _ENTERED_FIELDS[k])
                                              for k in ENTERABLE}} for c in gaps])
    edited = st.data_editor(frame, hide_index=True, disabled=["model"], key="entered-editor")
    entered: dict[str, dict[str, float]] = {}
    for row, candidate in zip(edited.to_dict("records"), gaps, strict=True):
        for key in ENTERABLE:
            value = row[CRITERION_LABELS[key] + " (MB)"]
            if usable(getattr(candidate, _ENTERED_FIELDS[key])) is None and value is not None and not pd.isna(value):
                entered.setdefault(candidate.ref, {})[key] = float(value)
    return rule, entered


_SCALES = {"latency": "(s)", "throughput": "", "memory": "(MB)", "quality": "(1-5)", "footprint": "(MB)",
           "license": "score (0-1)"}


def ranking_table(frame: pd.DataFrame) -> None:
    """``core.decide.ranking.ranking_frame`` with every figure to the digits the decision record prints (so the
    page and the record read the same), the model pinned while the criteria scroll; beside an empty figure its
    "n, 95% CI" cell says why it is missing (``core.decide.gaps``)."""
    config: dict[str, Any] = {"model": st.column_config.TextColumn(pinned=True),
                              "score": st.column_config.NumberColumn("score /100", format="%.1f")}
    for key, digits in DIGITS.items():
        label = CRITERION_LABELS[key]
        config[f"{key} value"] = st.column_config.NumberColumn(f"{label} {_SCALES[key]}".strip(), format=f"%.{digits}f")
        config[f"{key} n, 95% CI"] = st.column_config.TextColumn(f"{label}: n, 95% CI or why missing")
        config[f"{key} points"] = st.column_config.NumberColumn(f"{label} points", format="%.1f")
    st.dataframe(frame, hide_index=True, column_config=config)


def lead_panel(lead: Lead | None) -> None:
    """The comparison in words with its interval: a statistical tie (a warning) or the named winner."""
    if lead is None:
        return
    (st.warning if lead.tie else st.success)(md("{sentence}", sentence=lead.sentence()))


SOURCE_LABELS = {str(NO_QUALITY): "none", str(PEOPLE): "people (manual grades)"}


def _source_label(word: str) -> str:
    return SOURCE_LABELS.get(word) or QualitySource.parse(word).judge_ref or word


def quality_panel(options: QualityOptions) -> tuple[Rubric | None, str]:
    """The user's quality choice for the chosen runs: ``(rubric, source word)`` for
    ``core.grading.quality_source.quality_for_decision``, the words ``cli.py decide --quality`` takes.

    Starts on the rubric and source that actually hold grades, so quality is not left out by default;
    ``rubric`` is None (and the source ``none``) while no rubric exists."""
    if not options.rubrics:
        st.caption("No rubric yet: grade answers on the Grade page to add quality to the decision.")
        return None, str(NO_QUALITY)
    st.caption("A model's quality comes from the newest chosen run in which these grades scored it.")
    c1, c2 = st.columns(2)
    rubric = c1.selectbox("Rubric", options.rubrics, format_func=lambda r: r.label, key="q-rubric")
    choices = [str(NO_QUALITY), *map(str, options.sources)]
    source = c2.selectbox("Grades from", choices, index=choices.index(str(options.default_source(rubric))),
                          format_func=_source_label, key="q-source")
    return rubric, source


def qualification_panel(quality: DecisionQuality) -> str | None:
    """Each run's judge qualification verdict; where the judge's scores are held back, an override that
    needs a reason. Returns the reason once the box is ticked and a reason typed (the record quotes it)."""
    for gate in quality.gates.values():
        (st.success if gate.qualified else st.warning)(md_literal(gate.verdict))
    if not quality.held_back and not any(gate.override_reason for gate in quality.gates.values()):
        return None
    override = st.checkbox("Use this judge's scores anyway", key="q-override",
                           help="Only with a reason: the decision record quotes it.")
    reason = st.text_input("Why its scores can be trusted here", key="q-override-reason", disabled=not override)
    if override and not reason.strip():
        st.error("Give a reason for using a judge that is not qualified: the decision record quotes it.")
    return (reason.strip() or None) if override else None


def quality_note(quality: DecisionQuality) -> None:
    """The judge's agreement with people, and why quality is missing when the chosen source scored nothing."""
    for agreement in quality.agreements.values():
        st.caption(md_literal(agreement.verdict))
    if quality.note:
        st.warning(md_literal(quality.note))


_SOURCE_WORDS = {"model details": "typed or models.json", "metadata": "typed or models.json",
                 "catalog": "from the catalog", "run": "measured by the run"}


def _in_use(value: str | None, source: str | None, why: str) -> str:
    """What Decide uses and where it came from: ``"MIT (from the catalog)"``; when nothing is, ``why``."""
    return f"unknown: {why}" if value is None else f"{value} ({_SOURCE_WORDS.get(source or '', source)})"


def _size_why(ref: str) -> str:
    return ("not measurable for a remote endpoint (type it in the size column if you know it)" if is_remote(ref)
            else "not measured by the run (type it in the size column)")


def metadata_editor(specs: dict[str, ModelInfo], candidates: Sequence[Candidate]) -> list[ModelSpec] | None:
    """License and disk size per model, editable; beside them what Decide uses and where it came from (what
    is typed here or in models.json wins over the catalog's license and the run's measured size). Returns the
    edited specs when the user saves them (the page stores them in the ``models`` table, like models.json)."""
    known = {c.ref: (c, specs.get(c.ref) or ModelInfo(ref=c.ref)) for c in candidates}
    frame = pd.DataFrame([{"model": ref, "license": m.license or "", "size_mb": m.size_mb, "notes": m.notes,
                           "license in use": _in_use(c.license, c.license_source, "type it in the license column"),
                           "size in use": _in_use(None if c.disk_mb is None else f"{c.disk_mb:,.0f} MB",
                                                  c.disk_source, _size_why(c.ref))}
                          for ref, (c, m) in known.items()])
    edited = st.data_editor(frame, hide_index=True, disabled=["model", "license in use", "size in use"],
                            key="meta-editor",
                            column_config={"size_mb": st.column_config.NumberColumn("size (MB)", min_value=0)})
    if not st.button("Save model details", key="meta-save"):
        return None
    return [model_spec(row["model"], specs, license=(row["license"] or "").strip() or None,
                       size_mb=None if row["size_mb"] is None or pd.isna(row["size_mb"]) else float(row["size_mb"]),
                       notes=row["notes"] or "")
            for row in edited.to_dict("records")]


def decision_form(table: CandidateTable, settings: SelectionSettings, ranking: Ranking, quality_source: dict | None,
                  save: Callable[[dict], object], examples: Examples | None = None) -> None:
    """Record a decision with ``save``: the top-ranked model unless overridden with a stated reason; when the
    constraints leave no model, the decision that none qualifies (the record lists every model's reasons).
    ``examples`` gives the chosen model's and the runner-up's example answers the record shows."""
    ranked = [m.ref for m in ranking.ranked]
    nobody = not ranked
    with st.form("decision"):
        title = st.text_input("Title", defaults.DECISION_TITLE, key="d-title")
        context = st.text_area("Context: what is being decided and why now", key="d-context")
        makers = st.text_input("Decision-makers (comma-separated)", key="d-makers")
        if nobody:
            st.markdown("**Outcome: no model qualifies.** The record lists every model with the constraints it "
                        "failed.")
            chosen, reason = None, ""
        else:
            chosen = st.selectbox("Chosen model", ranked, key="d-chosen")
            reason = st.text_input("Reason, if not the top-ranked model", key="d-reason")
        consequences = st.text_area("Consequences: what follows from this choice", key="d-consequences")
        status = st.selectbox("Status", STATUSES[:2], key="d-status")
        submitted = st.form_submit_button("Record: no model qualifies" if nobody else "Record decision",
                                          type="primary")
    if not submitted:
        return
    try:
        record = build_decision(table, settings, title=title, context=context,
                                decision_makers=[p for p in makers.split(",") if p.strip()], chosen=chosen,
                                override_reason=reason, status=status, consequences=consequences,
                                quality_source=quality_source, none_qualifies=nobody, examples=examples)
    except ValueError as exc:
        st.error(md("{error}", error=exc))
        return
    save(record)
    st.session_state["decision-shown"] = record["decision_id"]
    st.success(md("Decision {id} recorded: {chosen}.", id=record["decision_id"],
                  chosen=record["chosen"] or NO_MODEL_QUALIFIES))
