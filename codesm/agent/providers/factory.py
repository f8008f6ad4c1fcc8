"""Build the `Provider` adapter for a resolved model."""

from __future__ import annotations

from codesm.agent.providers.anthropic import AnthropicProvider
from codesm.agent.providers.base import DEFAULT_IDLE_TIMEOUT_S, Provider, RetryPolicy
from codesm.agent.providers.ollama import OllamaProvider
from codesm.agent.providers.openai import (
    COMPATIBLE,
    GEMINI,
    GEMINI_BASE_URL,
    OPENAI,
    OPENROUTER,
    OPENROUTER_BASE_URL,
    OpenAIProvider,
)
from codesm.agent.providers.registry import ProviderConfig


def create_provider(
    config: ProviderConfig,
    *,
    retry: RetryPolicy | None = None,
    idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S,
) -> Provider:
    """The adapter for `config` (use `registry.resolve(...).provider`)."""
    match config.name:
        case "anthropic":
            return AnthropicProvider(
                api_key=config.api_key,
                base_url=config.base_url,
                retry=retry,
                idle_timeout_s=idle_timeout_s,
            )
        case "ollama":
            return OllamaProvider(host=config.base_url, retry=retry, idle_timeout_s=idle_timeout_s)
        case "openai":
            dialect, base_url = OPENAI, config.base_url
        case "openrouter":
            dialect, base_url = OPENROUTER, config.base_url or OPENROUTER_BASE_URL
        case "gemini":
            dialect, base_url = GEMINI, config.base_url or GEMINI_BASE_URL
        case "openai-compatible":
            dialect, base_url = COMPATIBLE, config.base_url
    return OpenAIProvider(
        api_key=config.api_key,
        base_url=base_url,
        dialect=dialect,
        retry=retry,
        idle_timeout_s=idle_timeout_s,
    )
