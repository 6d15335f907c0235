"""The probe: pick a model, send one prompt with a timeout, watch or cancel it, see the answer and its timing."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from components.job_progress import job_panel
from components.safe_text import md, show_model_text
from core import defaults, limits
from core.benchmark.probe import ProbeResult
from store.records import Job

DEFAULT_PROMPT = "List three benefits of local inference."


def _show_result(result: ProbeResult) -> None:
    if not result.ok:
        st.error(md("{ref} did not answer: {error}", ref=result.model_ref, error=result.error))
        return
    t = result.timing
    assert t is not None
    cols = st.columns(4)
    cols[0].metric("Time to first token", f"{t.ttft_s * 1000:.0f} ms" if t.ttft_s is not None else "n/a")
    cols[1].metric("Latency", f"{t.e2e_s:.2f} s" if t.e2e_s is not None else "n/a")
    cols[2].metric("Tokens/s", f"{t.decode_tps:.1f}" if t.decode_tps else "n/a")
    estimated = "" if t.token_source == "engine" else f" ({t.token_source}, estimated)"
    cols[3].metric("Output tokens", f"{t.completion_tokens}{estimated}")
    device = " · ".join(x for x in (result.device, result.execution_provider) if x)
    st.caption(md("{ref}", ref=result.model_ref) + (md(" · {device}", device=device) if device else "")
               + md(" · run {run:code}", run=result.run_id))
    show_model_text(t.text)


def probe_panel(refs: list[str], start: Callable[[str, str, int, float], object], job: Job | None,
                result: ProbeResult | None, preferred: str | None = None) -> None:
    """A probe form (model, prompt, output budget, timeout) that calls ``start(ref, prompt, max_tokens,
    timeout_s)`` (``core.benchmark.probe.start_probe``: a background ``probe`` job, or ``ValueError``), then
    the newest probe from the store: ``job`` with its progress and Cancel while it runs, then ``result``
    (its stored probe run). ``preferred`` (e.g. the default model) is pre-selected when present."""
    if not refs:
        st.info("No model to probe yet.")
        return
    running = job is not None and job.state == "running"
    index = refs.index(preferred) if preferred in refs else 0
    with st.form("probe"):
        ref = st.selectbox("Model", refs, index=index, key="probe-model")
        prompt = st.text_area("Prompt", DEFAULT_PROMPT, key="probe-prompt")
        c1, c2 = st.columns(2)
        max_tokens = c1.number_input("Max output tokens", 1, 4096, defaults.PROBE_MAX_OUTPUT_TOKENS,
                                     key="probe-max-tokens")
        timeout = c2.number_input("Timeout (s)", 1, int(limits.TIMEOUT_S.maximum), int(defaults.REQUEST_TIMEOUT_S),
                                  key="probe-timeout",
                                  help="How long to wait for the whole answer; Cancel stops waiting at once.")
        submitted = st.form_submit_button("Run probe", type="primary", disabled=running)
    if submitted:
        if not prompt.strip():
            st.error("Write a prompt first.")
            return
        try:
            start(ref, prompt, int(max_tokens), float(timeout))
        except ValueError as exc:
            st.error(md("{error}", error=exc))
            return
        st.rerun()
    if job is None:
        return
    if running:
        job_panel(job, key="probe")
    elif result is not None and result.cancelled:
        st.warning(md("The probe of {ref} was cancelled.", ref=result.model_ref))
    elif result is not None:
        _show_result(result)
    else:  # the job ended without storing a probe run (e.g. a store error): its own message says why
        job_panel(job, key="probe")
