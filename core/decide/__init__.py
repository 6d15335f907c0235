"""Decide: choose a model from the evidence, see how robust the choice is, and record why.

* ``settings``     what the user chose: criteria and weights, limits, license scores (kept in the record)
* ``candidates``   the models to choose between, each model's figures from ONE stored run
* ``usable``       what counts as a number: finite, else unknown (NaN and inf are never figures)
* ``constraints``  the hard limits a candidate must meet before it is scored, each failure a sentence
* ``missing``      the product owner's rule for a missing figure: drop the criterion, fill it by hand, leave out
* ``gaps``         why a figure is missing, in words (a remote endpoint's memory, a license nobody typed)
* ``ranking``      normalised, weighted scores: who ranks first and why
* ``pareto``       quality against latency: the models no other model beats on both
* ``noise``        the measured figures resampled from the runs' samples, as a re-run could have measured them
* ``lead``         whether the top model leads beyond measurement noise: a statistical tie or a named winner
* ``sensitivity``  how far each weight can move before the winner changes; win shares under random weights
                   and resampled measurements; the lead under noise
* ``decision``     decision records: stored, superseded, recomputable from the record alone
* ``report``       a record's exports: Markdown, JSON, CSV, HTML, PDF
* ``exports``      the files one call writes (several formats of one decision, recorded once)
* ``charts``       the four Decide charts, one definition for the page and the exports

The order is the pipeline: ``candidate_table`` -> ``rank`` -> ``pareto_quality_latency`` and ``sensitivity``,
pure functions of plain data, so the Decide page, ``cli.py decide``, the tests and a stored record
compute the same numbers. Nothing here imports Streamlit.
"""
