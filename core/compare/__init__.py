"""Compare: stored runs side by side, and what differs between them beyond noise.

* ``runs``       which runs to look at: devices, dates, prompt sets, the user's filter, a run's name, prompt keys,
                 a model's family and a setup's name
* ``groups``     one model in one run on one device and machine (the unit every chart shows), the frames behind charts
* ``ratios``     a paired ratio over prompts (geometric mean of per-prompt ratios) with a Student-t 95% interval
* ``pairing``    two sides paired over the prompts both measured (same id, same text), or why they cannot be
* ``devices``    with and without a GPU: each setup's speed-up over the baseline setup, family by family, or why not
* ``baseline``   a run against a baseline run, per prompt, with a verdict (worse, better, within noise)
* ``head_to_head`` two models of one run on one device: how many times better one is, paired by prompt
* ``statements`` the comparisons in words with their intervals ("A is 1.9x faster ..."; "statistical tie")
* ``report``     the page's figures headless as one document (``cli.py compare``: JSON keys, text)
* ``responses``  the answers side by side, prompt by prompt
* ``charts``     the chart registry: each view's charts and the data frames behind them (page and CSV)

Pure functions of stored runs and samples: the Compare page, the tests and any export compute the same
numbers. Nothing here imports Streamlit.
"""
