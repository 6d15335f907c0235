"""The default model, SmolLM2-135M-Instruct, converted on this machine and registered with Foundry Local.

* ``pipeline``     the steps in order, ``prepare_default_model`` (idempotent) and the model's id and folder
* ``convert_env``  the conversion venv ``.venv-convert``: created, filled and found ready; the GGUF inside it
* ``steps``        one step as a subprocess streaming its output as progress; ``PrepareError`` names a failed one
* ``folders``      what a complete model folder holds, the temp folder it is built in, the move into place
  and the lock between processes
* ``worker``       what the conversion venv runs (GGUF export, smoke test): standard library only at import

This ``__init__`` imports nothing, because the conversion venv imports it on its way to ``worker``.
"""
