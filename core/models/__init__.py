"""Models: where the models come from, what is known about them, and getting them ready.

* ``sources``        Foundry Local plus the stored OpenAI-compatible endpoints; resolves ``SOURCE:MODEL_ID``
* ``specs``          model metadata from ``models.json`` (license, capabilities, size) in the ``models`` table
* ``variants``       model families (Foundry Local's alias) and their variants by device; a family on devices -> refs
* ``model_jobs``     preparing the default model and downloading a model, as background jobs
* ``default_model/`` SmolLM2-135M converted to ONNX on this machine and registered with Foundry Local

Model references themselves (``core.refs``) sit one level up: the engines, the config files and every
step read them. Nothing here imports Streamlit, and this ``__init__`` imports nothing: the conversion
venv passes through it on its way to ``default_model.worker``.
"""
