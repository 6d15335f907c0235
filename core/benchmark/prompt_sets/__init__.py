"""Prompt sets: the fixed questions a benchmark asks.

* ``builtin``  the sets shipped as ``prompts.json`` files beside it (RAG, meeting notes, prompt-length ladder)
* ``saved``    the sets a user imported, in the ``prompt_sets`` table, and the choice a run offers (both kinds)
"""
