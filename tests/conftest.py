"""Shared fixtures for all tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.fixtures import make_adapter, scripted_llm

__all__ = ["isolated_user_state", "make_adapter", "scripted_llm"]

PROVIDER_VARIABLES = (
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENROUTER_API_KEY",
    "GEMINI_API_KEY",
    "OLLAMA_HOST",
    "OLLAMA_MODEL",
    "OPENAI_COMPATIBLE_BASE_URL",
    "OPENAI_COMPATIBLE_API_KEY",
    "OPENAI_COMPATIBLE_MODEL",
)


@pytest.fixture(autouse=True)
def isolated_user_state(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Every test gets its own XDG dirs and no provider keys from the machine it runs on, so no
    test reads or writes the user's real settings, database or credentials."""
    root = tmp_path_factory.mktemp("xdg")
    for name in ("CONFIG", "DATA", "CACHE", "STATE"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(root / name.lower()))
    for variable in PROVIDER_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    return root
