"""Inference engines behind one small interface: every source a model can come from answers the same way.

* ``base``               the ``Engine`` protocol, its stream events and errors: the contract every engine keeps
* ``chat_chunk``         one typed parse of an OpenAI chat-completions stream chunk
* ``foundry_local``      Foundry Local in-process through ``foundry-local-sdk``
* ``openai_compatible``  any OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp, Azure OpenAI, ...)
* ``session``            one model for one task: load, work, unload, stop after repeated failures
"""
