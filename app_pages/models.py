"""Models: every model from every source, the default model, endpoints, load/unload, and a probe.

Endpoints are listed in the background (``core.models.listings``): the page waits at most 0.3 s for them,
a slow one appears on a later rerun, and each endpoint's failure is shown beside it."""

from __future__ import annotations

from functools import partial

import streamlit as st

from components.add_model_panel import add_model_panel
from components.job_progress import job_panel
from components.model_table import NOT_REPORTED, NOT_REPORTED_NOTICE, models_frame
from components.probe_panel import probe_panel
from components.safe_text import md
from components.state import foundry_engine, foundry_error, get_sources, get_store
from core.benchmark.probe import probe_result, start_probe
from core.engines.base import EngineError
from core.jobs import list_jobs
from core.models.custom_model import plan_addition, remove_model
from core.models.default_model.pipeline import DEFAULT_MODEL_ID
from core.models.listings import background_listings
from core.models.model_jobs import (
    latest_addition,
    running_download,
    running_preparation,
    start_add_model,
    start_default_model_preparation,
    start_download,
)
from core.models.sources import add_endpoint, edit_endpoint, list_endpoints, remove_endpoint
from core.refs import FOUNDRY_SERVICE_SOURCE, FOUNDRY_SOURCE
from store.records import JobKinds

store = get_store()
sources = get_sources()
foundry = foundry_engine()

st.title("Models")
st.caption(
    "Models are named `SOURCE:MODEL_ID`: `foundry-local` for models run in-process by Foundry Local, "
    "or the name you give an OpenAI-compatible endpoint."
)

listings = background_listings.listings(sources)
by_source = {listing.source: listing for listing in listings}
frame = models_frame(listings)
foundry_ids = {m.model_id: m for listing in listings if listing.source == FOUNDRY_SOURCE for m in listing.models}

# --- Default model -------------------------------------------------------------------------------
st.subheader("Default model")
running_prep = running_preparation(store)
if DEFAULT_MODEL_ID in foundry_ids:
    st.success(f"`{FOUNDRY_SOURCE}:{DEFAULT_MODEL_ID}` (SmolLM2-135M-Instruct, Apache-2.0) is ready.")
elif foundry is None:
    st.error(md("Foundry Local could not start, so the default model cannot be prepared: {error}",
                error=foundry_error()))
elif running_prep:
    job_panel(running_prep, key="prep")
else:
    st.write(
        "SmolLM2-135M-Instruct is converted to an ONNX int4 model and registered with Foundry Local "
        "(a few minutes the first time; nothing is downloaded from a model hub)."
    )
    if st.button("Prepare the default model", type="primary"):
        start_default_model_preparation(store)
        st.rerun()

# --- All models ----------------------------------------------------------------------------------
st.subheader("All models")
foundry_listing = by_source.get(FOUNDRY_SOURCE)
if foundry_listing is not None and foundry_listing.error:
    st.warning(md("**{source}**: {error}", source=FOUNDRY_SOURCE, error=foundry_listing.error))
if any(listing.pending for listing in listings):
    st.caption("Some endpoints are still listing their models; they appear when they answer.")
    if st.button("Refresh the listings"):
        st.rerun()
if foundry is not None and hasattr(foundry, "catalog_status"):
    st.caption(md("Foundry Local public catalog: {status}", status=foundry.catalog_status()))
if frame.empty:
    st.info("No models yet: prepare the default model above, or add an endpoint below.")
else:
    st.dataframe(frame, hide_index=True, width="stretch")
    if frame.isin([NOT_REPORTED]).any().any():
        st.caption(NOT_REPORTED_NOTICE)

# --- Load / unload / download (Foundry Local) --------------------------------------------------
if foundry is not None and foundry_ids:
    st.subheader("Load, unload, download (Foundry Local)")
    chosen = st.selectbox("Foundry Local model", sorted(foundry_ids), key="fl-model")
    entry = foundry_ids[chosen]
    st.caption(md("State: **{state}** · device {device} · {provider}", state=entry.state,
                  device=entry.device or NOT_REPORTED, provider=entry.execution_provider or ""))
    c1, c2, c3 = st.columns(3)
    if c1.button("Load", disabled=entry.state == "available"):
        try:
            loaded = foundry.load(chosen)
        except EngineError as exc:
            st.error(md("{error}", error=exc))
        else:
            st.toast(md("Loaded in {seconds:.2f} s on {device}", seconds=loaded.seconds,
                        device=loaded.device or "a device Foundry Local did not report"))
            st.rerun()
    if c2.button("Unload", disabled=entry.state != "loaded"):
        try:
            foundry.unload(chosen)
        except EngineError as exc:
            st.error(md("{error}", error=exc))
        else:
            st.rerun()
    download = running_download(store, chosen)
    if download:
        job_panel(download, key="download")
    elif c3.button("Download", disabled=entry.state != "available"):
        start_download(store, chosen)
        st.rerun()

if foundry is not None:
    add_model_panel(latest_addition(store), partial(plan_addition, foundry), partial(start_add_model, store),
                    partial(remove_model, foundry))

# --- Endpoints -----------------------------------------------------------------------------------
st.subheader("OpenAI-compatible endpoints")
st.caption(
    "Foundry Local's web service, Ollama, vLLM, llama.cpp server, Azure OpenAI… API keys are read from the "
    "environment variable you name (or Streamlit secrets) and are never stored."
)
service = by_source.get(FOUNDRY_SERVICE_SOURCE)
if service is not None and not any(e.name == FOUNDRY_SERVICE_SOURCE for e in list_endpoints(store)):
    st.caption(md("Foundry Local's web service was found ({FOUNDRY_LOCAL_ENDPOINT:code} or port 5273): its models "
                  "are listed as {ref:code} without adding it.", FOUNDRY_LOCAL_ENDPOINT="FOUNDRY_LOCAL_ENDPOINT",
                  ref=f"{FOUNDRY_SERVICE_SOURCE}:MODEL_ID"))
    if service.error:
        st.warning(md("**{source}**: {error}", source=FOUNDRY_SERVICE_SOURCE, error=service.error))
for endpoint in list_endpoints(store):
    c1, c2 = st.columns([5, 1])
    key_note = md(" · key from {env:code}", env="$" + endpoint.api_key_env) if endpoint.api_key_env else ""
    c1.markdown(md("**{name}** · {url:code}", name=endpoint.name, url=endpoint.base_url) + key_note)
    listed = by_source.get(endpoint.name)
    failure = endpoint.problem or (listed.error if listed is not None else None)
    if failure:
        c1.warning(md("**{name}**: {error}", name=endpoint.name, error=failure))
    elif listed is not None and listed.pending:
        c1.caption("Listing its models…")
    if c2.button("Remove", key=f"rm-{endpoint.name}"):
        remove_endpoint(store, endpoint.name)
        st.rerun()
    with c1.expander("Edit"), st.form(f"edit-{endpoint.name}"):
        new_url = st.text_input("Base URL", endpoint.base_url, key=f"ed-url-{endpoint.name}")
        new_key = st.text_input("API key environment variable (empty: no key)", endpoint.api_key_env or "",
                                key=f"ed-key-{endpoint.name}")
        if st.form_submit_button("Save"):
            try:
                edit_endpoint(store, endpoint.name, new_url.strip(), new_key.strip())
            except ValueError as exc:
                st.error(md("{error}", error=exc))
            else:
                st.rerun()
with st.form("add-endpoint", clear_on_submit=False):
    name = st.text_input("Name", placeholder="my-ollama", key="ep-name")
    base_url = st.text_input("Base URL", placeholder="http://127.0.0.1:11434/v1", key="ep-url")
    key_env = st.text_input("API key environment variable (optional)", placeholder="AZURE_OPENAI_API_KEY",
                            key="ep-key-env")
    if st.form_submit_button("Add endpoint"):
        try:
            add_endpoint(store, name.strip(), base_url.strip(), key_env.strip() or None)
        except ValueError as exc:
            st.error(md("{error}", error=exc))
        else:
            st.success(md("Added {name}.", name=name))
            st.rerun()

# --- Probe ---------------------------------------------------------------------------------------
st.subheader("Probe")
probe = next(iter(list_jobs(store, kind=JobKinds.PROBE)), None)
probe_panel(list(frame["ref"]), partial(start_probe, sources, store), probe,
            probe_result(store, probe.run_id) if probe and probe.run_id else None,
            preferred=f"{FOUNDRY_SOURCE}:{DEFAULT_MODEL_ID}")
