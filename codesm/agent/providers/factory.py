"""Build the `Provider` adapter for a resolved model.

Each adapter (and so its SDK: `anthropic` alone takes ~1 s to import) is imported the first time
a provider of its kind is built, not when codesm starts: most users configure one provider, and
`codesm web` should answer before any SDK has loaded.
"""

from __future__ import annotations

from codesm.agent.providers.base import DEFAULT_IDLE_TIMEOUT_S, Provider, RetryPolicy
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
            from codesm.agent.providers.anthropic import AnthropicProvider

            return AnthropicProvider(
                api_key=config.api_key,
                base_url=config.base_url,
                retry=retry,
                idle_timeout_s=idle_timeout_s,
            )
        case "ollama":
            from codesm.agent.providers.ollama import OllamaProvider

            return OllamaProvider(host=config.base_url, retry=retry, idle_timeout_s=idle_timeout_s)
        case "openai" | "openrouter" | "gemini" | "openai-compatible":
            return _openai_family(config, retry=retry, idle_timeout_s=idle_timeout_s)


def _openai_family(
    config: ProviderConfig, *, retry: RetryPolicy | None, idle_timeout_s: float
) -> Provider:
    from codesm.agent.providers import openai as adapter

    base_url: str | None
    match config.name:
        case "openrouter":
            dialect, base_url = adapter.OPENROUTER, config.base_url or adapter.OPENROUTER_BASE_URL
        case "gemini":
            dialect, base_url = adapter.GEMINI, config.base_url or adapter.GEMINI_BASE_URL
        case "openai-compatible":
            dialect, base_url = adapter.COMPATIBLE, config.base_url
        case _:
            dialect, base_url = adapter.OPENAI, config.base_url
    return adapter.OpenAIProvider(
        api_key=config.api_key,
        base_url=base_url,
        dialect=dialect,
        retry=retry,
        idle_timeout_s=idle_timeout_s,
    )
