"""Models: where the models come from, what is known about them, and getting them ready.

* ``sources``        Foundry Local plus the stored OpenAI-compatible endpoints; resolves ``SOURCE:MODEL_ID``
* ``foundry_service`` Foundry Local's web service (``FOUNDRY_LOCAL_ENDPOINT`` or port 5273), offered untyped
* ``listings``       every source's listing in the background, kept 30 s: a hanging endpoint never holds a page
* ``specs``          model metadata from ``models.json`` (license, capabilities, size) in the ``models`` table
* ``model_jobs``     preparing the default model and downloading a model, as background jobs
* ``default_model/`` SmolLM2-135M converted to ONNX on this machine and registered with Foundry Local

Model references themselves (``core.refs``) sit one level up: the engines, the config files and every
step read them. Nothing here imports Streamlit, and this ``__init__`` imports nothing: the conversion
venv passes through it on its way to ``default_model.worker``.
"""
