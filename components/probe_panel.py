"""The probe: pick a model, send one prompt, see the answer and its timing."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from components.safe_text import md, show_model_text
from core.benchmark.probe import ProbeResult
from core.engines.base import ChatParams

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


def probe_panel(refs: list[str], probe: Callable[[str, str, ChatParams], ProbeResult],
                preferred: str | None = None) -> None:
    """A probe form that calls ``probe(ref, prompt, params)`` (``core.benchmark.probe.run_probe``, which stores the
    probe as a one-sample run); ``preferred`` (e.g. the default model) is pre-selected when present."""
    if not refs:
        st.info("No model to probe yet.")
        return
    index = refs.index(preferred) if preferred in refs else 0
    with st.form("probe"):
        ref = st.selectbox("Model", refs, index=index, key="probe-model")
        prompt = st.text_area("Prompt", DEFAULT_PROMPT, key="probe-prompt")
        max_tokens = st.number_input("Max output tokens", 1, 4096, 128, key="probe-max-tokens")
        submitted = st.form_submit_button("Run probe", type="primary")
    if submitted:
        if not prompt.strip():
            st.error("Write a prompt first.")
            return
        with st.spinner(md("Asking {ref}…", ref=ref)):
            result = probe(ref, prompt, ChatParams(max_output_tokens=int(max_tokens)))
        st.session_state["probe-result"] = result
    if "probe-result" in st.session_state:
        _show_result(st.session_state["probe-result"])
