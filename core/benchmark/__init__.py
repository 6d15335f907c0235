"""Benchmark: measure models answering fixed prompts, and store every request as it happens.

* ``settings``     what a run repeats (models, prompts, rounds, request settings), within ``core.limits``
* ``prompt_sets/`` the built-in prompt sets and the ones a user imported
* ``runner``       the run itself: models × prompts × rounds × concurrency levels, stored as it goes
* ``isolation``    each model in a fresh child process: start it, relay its reports, forward cancel, name a crash
* ``model_process`` the child: load one model, warm up, measure its requests and its memory, report
* ``probe``        the quick check: one prompt to one model, stored as a one-sample run
* ``metrics``      timing maths for one streamed request (bunched arrivals flagged), and summaries over many
* ``slo``          service-level targets and goodput: the share of requests meeting every target
* ``meters``       what a model costs the machine while it runs: resident and GPU memory, energy
* ``gpu``          NVIDIA readings through NVML (memory, utilisation, energy) and the silent-CPU-fallback check
* ``environment``  the machine a run ran on, recorded with it so its figures can be repeated
* ``run_summary``  a run as tables, one row per model (the Benchmark page and the CLI show the same)
* ``empty_cells``  a figure that could not be measured says why (a remote endpoint, already loaded, failed)

The probe lives here, not with the models, because it is a benchmark of one request: the same timing
maths and the same stored run, so its figures agree with a full run's. Nothing here imports Streamlit.
"""
