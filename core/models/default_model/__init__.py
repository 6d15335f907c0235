"""The default model, SmolLM2-135M-Instruct, converted on this machine and registered with Foundry Local.

* ``pipeline``  conversion and registration, and the worker the conversion venv runs

This ``__init__`` imports nothing, because the conversion venv imports it on its way to the worker.
"""
