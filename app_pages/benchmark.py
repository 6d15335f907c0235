"""Benchmark: run a prompt set across models in the background, watch it live, read the results."""

from __future__ import annotations

from functools import partial

import streamlit as st

from components.benchmark_form import import_panel, settings_form
from components.fit_notice import fit_notice
from components.job_progress import done_of_total, job_panel
from components.live_view import live_slot
from components.model_table import models_frame
from components.run_tables import key_table, run_tables
from components.safe_text import md
from components.state import get_sources, get_store
from core.benchmark.prompt_sets.saved import prompt_set_choices, save_prompt_set
from core.benchmark.run_summary import run_summary_frame, runs_frame
from core.benchmark.runner import start_benchmark
from core.jobs import list_jobs
from core.models.default_model.pipeline import DEFAULT_MODEL_ID
from core.models.fit import fit_warnings
from core.models.listings import background_listings
from core.models.specs import model_specs, save_model_specs
from core.models.variants import model_families
from core.refs import FOUNDRY_SOURCE
from store.queries import benchmark_runs, get_run, run_counts, run_samples
from store.records import Job, JobKinds

store = get_store()
sources = get_sources()

st.title("Benchmark")
st.caption(
    "Each model is loaded (timed), warmed up, then asked every prompt for each round at temperature 0. "
    "Time to first token, latency and tokens/s come from the streamed answer; warm-up requests are stored "
    "but not counted. Leaving or reloading the page does not stop a run. Each figure comes with its n and 95% "
    "interval (mean: holds from 5 samples on skewed timings; median: distribution-free, from 6). A request "
    "whose chunks arrived bunched (the machine was busy) keeps its TTFT and latency, but its tokens/s is left out."
)


def _live_table(run_id: str | None) -> None:
    run = get_run(store, run_id) if run_id else None
    if run:
        key_table(run_summary_frame(run, run_samples(store, run.run_id)))


def _runs(running: list[Job]) -> None:
    """The stored runs, drawn by the live view: a running run's ``done/total`` is its job's, as in the bar."""
    runs = benchmark_runs(store)
    if not runs:
        probes = run_counts(store).get("probe", 0)
        aside = f" (the {probes} stored probe{'s' if probes != 1 else ''} from the Models page ask one question " \
                "each: they are no benchmark)" if probes else ""
        st.info(f"No benchmark runs yet{aside}: choose models and a prompt set above, then start one.")
        return
    progress = {job.run_id: done_of_total(job) for job in running if job.run_id}
    table = runs_frame(runs, progress)
    ids = list(table["run"])
    chosen = st.session_state.get("bench-selected-run")
    run_id = st.selectbox("Run", ids, index=ids.index(chosen) if chosen in ids else 0, key="bench-run-pick")
    run = get_run(store, run_id)
    if run is not None:
        st.caption(md("Status **{status}**{done} · prompt set {name} · started {started} · finished {finished}",
                      status=run.status, done=f" · {progress[run_id]} requests" if progress.get(run_id) else "",
                      name=run.prompt_set.name, started=run.started_at or "-", finished=run.finished_at or "-"))
        run_tables(run, run_samples(store, run_id))
    with st.expander("All runs"):
        st.dataframe(table, hide_index=True)


active = next(iter(list_jobs(store, kind=JobKinds.BENCHMARK, active_only=True)), None)
last = next(iter(benchmark_runs(store)), None)
listings = background_listings.listings(sources)  # a hanging endpoint never holds the page
listed = list(models_frame(listings)["ref"])


def _save_imported_models(specs: list) -> None:
    """A models.json naming an unknown source is refused before anything is stored: one sentence, and the
    import stops there (``st.stop``: the form would otherwise go on to say it imported them)."""
    try:
        sources.check_sources((spec.alias, spec.ref) for spec in specs)
    except ValueError as exc:
        st.error(md("{error}", error=exc))
        st.stop()
    save_model_specs(store, specs)


import_panel(listed, partial(save_prompt_set, store), _save_imported_models)
fit_notice(fit_warnings(sources, listed))
specs = model_specs(store)
# models imported from models.json stay choosable while their source is down: the run records why they failed
choices = listed + sorted(set(specs) - set(listed))
settings = settings_form(prompt_set_choices(store), specs, choices, preferred=[f"{FOUNDRY_SOURCE}:{DEFAULT_MODEL_ID}"],
                         families=model_families(m for listing in listings for m in listing.models),
                         remembered=last.settings if last else None, busy=active is not None)
if settings is not None:
    run_id, _ = start_benchmark(sources, store, settings)
    st.session_state["bench-selected-run"] = run_id
    st.rerun()

if active is not None:
    st.subheader(md("Running: {label}", label=active.label))
    job_panel(active, key="bench", live=lambda: _live_table(active.run_id))

st.subheader("Runs")
live_slot(_runs)
