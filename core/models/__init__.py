"""Models: where the models come from, what is known about them, and getting them ready.

* ``sources``        Foundry Local plus the stored OpenAI-compatible endpoints; resolves ``SOURCE:MODEL_ID``
* ``foundry_service`` Foundry Local's web service (``FOUNDRY_LOCAL_ENDPOINT`` or port 5273), offered untyped
* ``listings``       every source's listing in the background, kept 30 s: a hanging endpoint never holds a page
* ``specs``          model metadata from ``models.json`` (license, capabilities, size) in the ``models`` table
* ``variants``       model families (Foundry Local's alias) and their variants by device; a family on devices -> refs
* ``model_jobs``     preparing the default model, downloading a model, adding one's own, as background jobs
* ``model_files``    what a path a user brings holds (ONNX GenAI folder, Hugging Face folder, GGUF), checked early
* ``gguf_header``    a GGUF file's metadata read with the standard library (architecture, tokenizer, template)
* ``custom_model``   bring your own model: register an ONNX folder, or convert and register; remove either
* ``fit``            will it fit: the memory a model needs (weights + KV cache + runtime) against what is free
* ``default_model/`` SmolLM2-135M converted to ONNX on this machine and registered with Foundry Local

Model references themselves (``core.refs``) sit one level up: the engines, the config files and every
step read them. Nothing here imports Streamlit, and this ``__init__`` imports nothing: the conversion
venv passes through it on its way to ``default_model.worker``.
"""
