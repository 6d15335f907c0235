"""Models: where the models come from, what is known about them, and getting them ready.

* ``sources``        Foundry Local plus the stored OpenAI-compatible endpoints; resolves ``SOURCE:MODEL_ID``
* ``specs``          model metadata from ``models.json`` (license, capabilities, size) in the ``models`` table
* ``model_jobs``     preparing the default model and downloading a model, as background jobs

Model references themselves (``core.refs``) sit one level up: the engines, the config files and every
step read them. Nothing here imports Streamlit.
"""
