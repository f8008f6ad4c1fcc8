"""Pytest fixtures for test support; imported by tests/conftest.py."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from codesm.agent.providers.anthropic import AnthropicProvider
from codesm.agent.providers.ollama import OllamaProvider
from codesm.agent.providers.openai import OpenAIProvider
from tests.support.providers import AdapterKind, make_provider
from tests.support.scripted_llm import ScriptedLLMServer


@pytest.fixture
def scripted_llm() -> Iterator[ScriptedLLMServer]:
    """A fresh scripted LLM server on 127.0.0.1; fails the test if the server itself broke."""
    with ScriptedLLMServer() as server:
        yield server
    assert not server.errors, f"scripted LLM server errors: {server.errors!r}"


@pytest.fixture
async def make_adapter(
    scripted_llm: ScriptedLLMServer,
) -> AsyncIterator[Callable[..., AnthropicProvider | OpenAIProvider | OllamaProvider]]:
    """Factory for provider adapters pointed at `scripted_llm`; closes them after the test."""
    made: list[AnthropicProvider | OpenAIProvider | OllamaProvider] = []

    def make(
        kind: AdapterKind, **kwargs: Any
    ) -> AnthropicProvider | OpenAIProvider | OllamaProvider:
        provider = make_provider(kind, scripted_llm, **kwargs)
        made.append(provider)
        return provider

    yield make
    for provider in made:
        await provider.aclose()
