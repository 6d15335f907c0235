"""Decide: choose a model from the evidence and record why.

* ``ranking``   candidates, constraints, weighted ranking, Pareto and sensitivity
* ``decision``  decision records (stored, superseded, recomputable)
* ``report``    decision exports: Markdown, JSON, CSV, HTML, PDF
* ``charts``    the four Decide charts, one definition for the page and the exports
"""
