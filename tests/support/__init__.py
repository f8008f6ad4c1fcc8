"""Test support: fakes that run the real code paths (the scripted LLM server, ...)."""
