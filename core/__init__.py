"""Pickwise's engine: everything that runs without Streamlit, grouped by the five steps a user takes.

The steps, in the order their imports run (a package imports only those above it; compare, grading and
decide never import each other: the pages and the CLI join them; ``tests/test_core_layering.py``):

* ``engines/``    the inference engines behind one interface: Foundry Local in-process, OpenAI-compatible
* ``models/``     where models come from, what is known about them, preparing the default model
* ``benchmark/``  measuring models on fixed prompts: settings, runner, probe, timing maths, meters
* ``compare/``    stored runs side by side: groups, speed-ups between devices, change against a baseline
* ``grading/``    how good the answers are: rubrics, LLM judge, blind manual grades, agreement
* ``decide/``     choosing a model: candidates, constraints, ranking, Pareto, sensitivity, records, exports

Under every step, above the shared modules (so each step can start a job; the job functions are named, not
imported):

* ``workers/``    every long job in a worker process of its own: spawn, cancel, the registry of job functions

Shared by several steps (each imports no step):

* ``refs``            ``SOURCE:MODEL_ID``, the one spelling of a model (engines, files, store, every step)
* ``config``          the files a user brings, ``models.json`` and ``prompts.json``, every problem located
* ``limits``          the bounds on every benchmark setting, one definition for the CLI, the form and files
* ``defaults``        the values settings start at, one definition for the app's forms and the CLI's flags
* ``numbers``         numbers people type, read one way (finite only, within a range, a reason when not)
* ``intervals``       the one 95% interval for a mean or a median, that holds at small n and on skewed data
* ``bundles``         runs moved between stores (samples, verdicts, the machine that measured them) or deleted whole
* ``jobs``            background jobs recorded in the store (progress, cancel, outcome), found again anywhere
* ``eta``             how long a job has left, from its pace after its first unit, or "estimating…"
* ``ownership``       which process owns a job or a run, and whether it is gone (orphans get marked)
* ``paths``           where Pickwise keeps its files (the data folder, the store, the models)
* ``untrusted_text``  escaping for markdown, plotly, HTML and CSV cells; invisible characters made visible
* ``redaction``       secrets out of URLs, messages, listings and exports
* ``table_text``      tables as terminal text: a missing figure reads "n/a", never None or NaN
* ``output_file``     export files written whole or not at all
* ``native_output``   native libraries' console lines (Foundry Local's catalog retries) to a log, off the terminal
* ``chart_theme``     the look every figure shares, on the page and in exported images
* ``chart_images``    plotly figures drawn as PNG or SVG by kaleido in one chromium session
* ``inline_svg``      an SVG rebuilt with drawing elements only, safe to inline in the HTML report
* ``journey``         the newcomer's path through the steps, and which step comes next
"""
