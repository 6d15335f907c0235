"""Widgets of the Decide page: weights and constraints, quality source, model metadata, the decision form.

Each returns plain values for ``core.selection`` / ``core.decision``; nothing here computes a score.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from components.safe_text import md, md_literal
from core.config import ModelSpec
from core.decision import STATUSES, build_decision, save_decision
from core.grading import GRADES, JUDGMENTS, judge_human_agreement, list_rubrics, quality_by_model
from core.library import model_specs, save_model_specs
from core.refs import parse_ref
from core.selection import (
    CRITERIA,
    CRITERION_LABELS,
    DEFAULT_LICENSE_SCORES,
    DEFAULT_WEIGHTS,
    NORMALISATIONS,
    CandidateTable,
    Constraints,
    Ranking,
    SelectionSettings,
    default_criteria,
)
from store import Store

PEOPLE = "people (manual grades)"


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
    latency_stat = c1.radio("Latency figure", ["mean", "p95"], horizontal=True, key="latency-stat")
    normalisation = c2.selectbox("Normalisation", NORMALISATIONS, key="normalisation",
                                 help="minmax: best 1, worst 0; rank: by position; relative: value / best")
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


def _judges(store: Store, run_id: str) -> list[str]:
    return sorted({j["judge_ref"] for j in store.find(JUDGMENTS, run_id=run_id) if j.get("judge_ref")})


def _grade_counts(store: Store, run_id: str) -> dict[tuple[str, int, str], int]:
    """How many judgments or manual grades each (rubric, version, source) holds for the run."""
    counts: dict[tuple[str, int, str], int] = {}
    for doc in store.find(JUDGMENTS, run_id=run_id):
        key = (doc.get("rubric_name"), doc.get("rubric_version"), doc.get("judge_ref"))
        counts[key] = counts.get(key, 0) + 1
    for doc in store.find(GRADES, run_id=run_id):
        key = (doc.get("rubric_name"), doc.get("rubric_version"), PEOPLE)
        counts[key] = counts.get(key, 0) + 1
    return counts


def quality_panel(store: Store, run_ids: list[str]) -> tuple[dict[str, dict], dict | None]:
    """Quality means per model from one graded run, and a description of where they came from."""
    rubrics = list_rubrics(store)
    if not rubrics:
        st.caption("No rubric yet: grade answers on the Grade page to add quality to the decision.")
        return {}, None
    c1, c2, c3 = st.columns(3)
    run_id = c1.selectbox("Quality from run", run_ids, key="q-run")
    graded = _grade_counts(store, run_id)
    # start on the rubric and source that actually hold grades for this run, so quality is not left out by default
    rubrics.sort(key=lambda r: -sum(n for (name, version, _), n in graded.items()
                                    if (name, version) == (r.name, r.version)))
    rubric = c2.selectbox("Rubric", rubrics, format_func=lambda r: f"{r.name} v{r.version}", key="q-rubric")
    sources = [*_judges(store, run_id), PEOPLE]
    with_data = [src for src in sources if graded.get((rubric.name, rubric.version, src))]
    options = ["none", *sources]
    source = c3.selectbox("Grades from", options, index=options.index(with_data[0]) if with_data else 0,
                          key="q-source")
    if source == "none":
        return {}, None
    judge = None if source == PEOPLE else source
    quality = {
        q.model_ref: {"mean": q.overall.mean, "ci95_low": q.overall.ci95_low, "ci95_high": q.overall.ci95_high,
                      "n": q.overall.n}
        for q in quality_by_model(store, run_id, rubric, judge_ref=judge) if q.overall.n
    }
    described: dict[str, Any] = {"run_id": run_id, "rubric": f"{rubric.name} v{rubric.version}",
                                 "judge": judge or "people"}
    if judge:
        agreement = judge_human_agreement(store, run_id, judge, rubric)
        described["agreement"] = {"kappa": agreement.kappa, "spearman": agreement.spearman,
                                  "n_items": agreement.n_items, "verdict": agreement.verdict}
        st.caption(md_literal(agreement.verdict))
    if not quality:
        st.warning("No scored answers for this choice yet: quality is left out (shown as missing, never as 0).")
    return quality, described


def metadata_editor(store: Store, refs: list[str]) -> None:
    """License and disk size per model, editable; stored in the ``models`` table like an imported models.json."""
    specs = model_specs(store)
    frame = pd.DataFrame([{"model": ref, "license": specs.get(ref, {}).get("license") or "",
                           "size_mb": specs.get(ref, {}).get("size_mb"),
                           "notes": specs.get(ref, {}).get("notes") or ""} for ref in refs])
    edited = st.data_editor(frame, hide_index=True, disabled=["model"], key="meta-editor",
                            column_config={"size_mb": st.column_config.NumberColumn("size (MB)", min_value=0)})
    if st.button("Save model details", key="meta-save"):
        updated = []
        for row in edited.to_dict("records"):
            ref, old = parse_ref(row["model"]), specs.get(row["model"], {})
            size = row["size_mb"]
            updated.append(ModelSpec(
                alias=old.get("alias") or ref.model_id, source=ref.source, model=ref.model_id,
                capabilities=old.get("capabilities") or [], license=(row["license"] or "").strip() or None,
                size_mb=None if size is None or pd.isna(size) else float(size), notes=row["notes"] or ""))
        save_model_specs(store, updated)
        st.success("Saved.")
        st.rerun()


def decision_form(store: Store, table: CandidateTable, settings: SelectionSettings, ranking: Ranking,
                  quality_source: dict | None) -> None:
    """Record a decision: the top-ranked model unless overridden with a stated reason."""
    ranked = [m.ref for m in ranking.ranked]
    with st.form("decision"):
        title = st.text_input("Title", "Default model for the offline meeting-notes summariser", key="d-title")
        context = st.text_area("Context: what is being decided and why now", key="d-context")
        makers = st.text_input("Decision-makers (comma-separated)", key="d-makers")
        chosen = st.selectbox("Chosen model", ranked, key="d-chosen")
        reason = st.text_input("Reason, if not the top-ranked model", key="d-reason")
        consequences = st.text_area("Consequences: what follows from this choice", key="d-consequences")
        status = st.selectbox("Status", STATUSES[:2], key="d-status")
        submitted = st.form_submit_button("Record decision", type="primary")
    if not submitted:
        return
    try:
        record = build_decision(table, settings, title=title, context=context,
                                decision_makers=[p for p in makers.split(",") if p.strip()], chosen=chosen,
                                override_reason=reason, status=status, consequences=consequences,
                                quality_source=quality_source)
    except ValueError as exc:
        st.error(md("{error}", error=exc))
        return
    save_decision(store, record)
    st.session_state["decision-shown"] = record["decision_id"]
    st.success(md("Decision {id} recorded: {chosen}.", id=record["decision_id"], chosen=record["chosen"]))
