"""The model registry and alias resolver."""

from __future__ import annotations

import pytest

from codesm.agent.providers import ModelRegistry, ProviderConfig, create_provider
from codesm.agent.providers.anthropic import AnthropicProvider
from codesm.agent.providers.ollama import OllamaProvider
from codesm.agent.providers.openai import OpenAIProvider
from codesm.agent.providers.registry import DEFAULT_MODELS, providers_from_env
from codesm.agent.runtime import build_model_registry
from codesm.config.settings import Settings
from codesm.errors import ConfigError, ModelUnavailableError


def test_providers_are_enabled_by_their_standard_variables():
    env = {
        "ANTHROPIC_API_KEY": "a",
        "ANTHROPIC_BASE_URL": "http://127.0.0.1:1",
        "OPENROUTER_API_KEY": "r",
        "OLLAMA_HOST": "http://127.0.0.1:11434",
        "OPENAI_API_KEY": "",
    }
    configured = providers_from_env(env)
    assert set(configured) == {"anthropic", "openrouter", "ollama"}
    assert configured["anthropic"] == ProviderConfig("anthropic", "a", "http://127.0.0.1:1")


@pytest.mark.parametrize("mode", ["smart", "rush"])
def test_no_model_means_the_first_configured_providers_default_for_the_mode(mode):
    registry = ModelRegistry.from_env({"OPENAI_API_KEY": "o", "GEMINI_API_KEY": "g"})
    resolved = registry.resolve(None, mode)
    assert resolved.provider.name == "openai"
    assert resolved.info.id == DEFAULT_MODELS["openai"][mode]


def test_every_default_model_is_in_the_registry():
    registry = ModelRegistry({})
    for provider, modes in DEFAULT_MODELS.items():
        for model_id in modes.values():
            assert registry.get(model_id, provider) is not None, (provider, model_id)


def test_an_alias_prefers_the_direct_provider_and_falls_back_to_openrouter():
    assert ModelRegistry.from_env({"ANTHROPIC_API_KEY": "a", "OPENROUTER_API_KEY": "r"}).resolve(
        "sonnet"
    ).info.provider == ("anthropic")
    via_router = ModelRegistry.from_env({"OPENROUTER_API_KEY": "r"}).resolve("sonnet")
    assert via_router.info.id == "anthropic/claude-sonnet-5.5"
    assert via_router.info.provider == "openrouter"


def test_a_known_model_carries_its_window_and_capabilities():
    info = ModelRegistry.from_env({"ANTHROPIC_API_KEY": "a"}).resolve("claude-haiku-4-5").info
    assert (info.context_window, info.tools, info.thinking, info.caching) == (
        200_000,
        True,
        True,
        True,
    )


def test_provider_prefixed_names_reach_models_the_registry_does_not_know():
    registry = ModelRegistry.from_env({"OLLAMA_HOST": "http://127.0.0.1:11434"})
    resolved = registry.resolve("ollama/llama3.2:3b")
    assert resolved.info.id == "llama3.2:3b" and not resolved.info.known
    assert resolved.provider.base_url == "http://127.0.0.1:11434"


def test_an_unservable_model_names_the_variable_that_would_enable_it():
    registry = ModelRegistry.from_env({"OLLAMA_HOST": "http://127.0.0.1:1"})
    with pytest.raises(ModelUnavailableError, match=r"ANTHROPIC_API_KEY.*OPENROUTER_API_KEY"):
        registry.resolve("sonnet")
    with pytest.raises(ModelUnavailableError, match="GEMINI_API_KEY"):
        registry.resolve("gemini-9-ultra")


def test_no_configured_provider_lists_every_way_to_configure_one():
    with pytest.raises(ConfigError) as caught:
        ModelRegistry.from_env({}).resolve(None, "smart")
    for variable in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "OPENROUTER_API_KEY", "OLLAMA_HOST"):
        assert variable in str(caught.value)


def test_an_unknown_bare_name_is_an_error_not_a_guess():
    with pytest.raises(ModelUnavailableError, match="unknown model 'mystery'"):
        ModelRegistry.from_env({"OPENAI_API_KEY": "o"}).resolve("mystery")


async def test_the_factory_builds_the_adapter_for_each_provider():
    kinds = {
        "anthropic": AnthropicProvider,
        "openai": OpenAIProvider,
        "openrouter": OpenAIProvider,
        "gemini": OpenAIProvider,
        "ollama": OllamaProvider,
        "openai-compatible": OpenAIProvider,
    }
    for name, adapter in kinds.items():
        provider = create_provider(ProviderConfig(name, api_key="k", base_url="http://127.0.0.1:9"))
        assert isinstance(provider, adapter) and provider.name == name
        await provider.aclose()


def test_a_local_server_is_enabled_by_its_address_and_its_model_becomes_the_default():
    env = {
        "OPENAI_COMPATIBLE_BASE_URL": "http://127.0.0.1:1234/v1",
        "OPENAI_COMPATIBLE_API_KEY": "sk-local",
        "OPENAI_COMPATIBLE_MODEL": "qwen2.5-coder",
        "OPENAI_API_KEY": "",
    }
    assert providers_from_env({"OPENAI_COMPATIBLE_API_KEY": "sk-local"}) == {}
    registry = build_model_registry(Settings(), env)
    for mode in ("smart", "rush"):
        resolved = registry.resolve(None, mode)
        assert (resolved.info.id, resolved.provider.name) == ("qwen2.5-coder", "openai-compatible")
    assert resolved.provider == ProviderConfig(
        "openai-compatible", "sk-local", "http://127.0.0.1:1234/v1"
    )
    assert registry.resolve("qwen2.5-coder").provider.name == "openai-compatible"
