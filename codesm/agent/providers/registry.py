"""The one model registry and alias resolver.

A model is named by its id (`claude-sonnet-5-5`), an alias (`sonnet`), `provider/id`
(`ollama/qwen3:8b`, `openrouter/anthropic/claude-sonnet-5.5`), or not at all (the mode's default:
each provider has a `smart` and a `rush` model). `resolve` picks the first configured provider that
can serve the name, in `PROVIDER_PREFERENCE` order, and otherwise raises `ModelUnavailableError`
saying which key or env var would enable it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal, get_args

from codesm.agent.providers.pricing import ModelPrice, price_for
from codesm.errors import ModelUnavailableError

ProviderName = Literal["anthropic", "openai", "openrouter", "gemini", "ollama", "openai-compatible"]
AgentMode = Literal["smart", "rush"]
PROVIDER_PREFERENCE: tuple[ProviderName, ...] = get_args(ProviderName)

PROVIDER_ENV: dict[ProviderName, tuple[str | None, str | None]] = {
    "anthropic": ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"),
    "openai": ("OPENAI_API_KEY", "OPENAI_BASE_URL"),
    "openrouter": ("OPENROUTER_API_KEY", None),
    "gemini": ("GEMINI_API_KEY", None),
    "ollama": (None, "OLLAMA_HOST"),
    "openai-compatible": (None, "OPENAI_COMPATIBLE_BASE_URL"),
}
"""(key variable, base URL variable) per provider."""

LOCAL_PROVIDERS: tuple[ProviderName, ...] = ("ollama", "openai-compatible")
"""Providers enabled by a base URL alone: a server on this machine or the LAN, a key optional."""
OPTIONAL_KEY_ENV: dict[ProviderName, str] = {"openai-compatible": "OPENAI_COMPATIBLE_API_KEY"}
"""A key some OpenAI-compatible servers want (vLLM `--api-key`, a gateway)."""
MODEL_ENV: dict[ProviderName, str] = {
    "ollama": "OLLAMA_MODEL",
    "openai-compatible": "OPENAI_COMPATIBLE_MODEL",
}
"""The model a local server serves, used for both modes (a local server names its own models)."""
_URL_EXAMPLE = {"ollama": "http://127.0.0.1:11434", "openai-compatible": "http://127.0.0.1:1234/v1"}


@dataclass(frozen=True)
class ModelInfo:
    id: str
    """The provider's own model id, as sent on the wire."""
    provider: ProviderName
    context_window: int
    max_output: int
    tools: bool = True
    thinking: bool = False
    vision: bool = False
    caching: bool = False
    aliases: tuple[str, ...] = ()
    known: bool = True
    """False for a model the registry has no entry for (capabilities are guesses)."""


@dataclass(frozen=True)
class ProviderConfig:
    name: ProviderName
    api_key: str | None = None
    base_url: str | None = None


@dataclass(frozen=True)
class ResolvedModel:
    info: ModelInfo
    provider: ProviderConfig
    price: ModelPrice | None = None
    """The `codesm.pricing` override for this model (None: genai-prices' price)."""


def _claude(
    id_: str, router_id: str, window: int, out: int, aliases: tuple[str, ...] = ()
) -> list[ModelInfo]:
    return [
        ModelInfo(id_, "anthropic", window, out, thinking=True, vision=True, caching=True,
                  aliases=aliases),
        ModelInfo(router_id, "openrouter", window, out, thinking=True, vision=True,
                  aliases=aliases),
    ]  # fmt: skip


BUILTIN_MODELS: tuple[ModelInfo, ...] = (
    *_claude("claude-opus-5-5", "anthropic/claude-opus-5.5", 1_000_000, 128_000, ("opus",)),
    *_claude("claude-sonnet-5-5", "anthropic/claude-sonnet-5.5", 1_000_000, 64_000, ("sonnet",)),
    *_claude("claude-haiku-5-5", "anthropic/claude-haiku-5.5", 1_000_000, 64_000, ("haiku",)),
    *_claude("claude-sonnet-4-5", "anthropic/claude-sonnet-4.5", 200_000, 64_000),
    *_claude("claude-haiku-4-5", "anthropic/claude-haiku-4.5", 200_000, 64_000),
    ModelInfo("gpt-5.5", "openai", 1_000_000, 128_000, thinking=True, vision=True, caching=True),
    ModelInfo("gpt-5.4-mini", "openai", 400_000, 128_000, thinking=True, vision=True,
              caching=True),
    ModelInfo("gpt-5", "openai", 400_000, 128_000, thinking=True, vision=True, caching=True),
    ModelInfo("gpt-5-mini", "openai", 400_000, 128_000, thinking=True, vision=True, caching=True),
    ModelInfo("gpt-4.1", "openai", 1_047_576, 32_768, vision=True, caching=True),
    ModelInfo("openai/gpt-5", "openrouter", 400_000, 128_000, thinking=True, vision=True),
    ModelInfo("openai/gpt-5-mini", "openrouter", 400_000, 128_000, thinking=True, vision=True),
    ModelInfo(
        "gemini-2.5-pro", "gemini", 1_048_576, 65_536, thinking=True, vision=True, caching=True,
        aliases=("gemini-pro",),
    ),
    ModelInfo(
        "gemini-2.5-flash", "gemini", 1_048_576, 65_536, thinking=True, vision=True, caching=True,
        aliases=("gemini-flash",),
    ),
    ModelInfo("qwen3-coder:30b", "ollama", 262_144, 32_768),
    ModelInfo("qwen3:8b", "ollama", 40_960, 8_192, thinking=True),
)  # fmt: skip

DEFAULT_MODELS: dict[ProviderName, dict[AgentMode, str]] = {
    "anthropic": {"smart": "claude-sonnet-5-5", "rush": "claude-haiku-5-5"},
    "openai": {"smart": "gpt-5.5", "rush": "gpt-5.4-mini"},
    "openrouter": {"smart": "anthropic/claude-sonnet-5.5", "rush": "anthropic/claude-haiku-5.5"},
    "gemini": {"smart": "gemini-2.5-pro", "rush": "gemini-2.5-flash"},
    "ollama": {"smart": "qwen3-coder:30b", "rush": "qwen3:8b"},
}

_ID_PREFIXES: tuple[tuple[str, ProviderName], ...] = (
    ("claude-", "anthropic"),
    ("gpt-", "openai"),
    ("chatgpt-", "openai"),
    ("o1", "openai"),
    ("o3", "openai"),
    ("o4", "openai"),
    ("gemini-", "gemini"),
)


def providers_from_env(env: Mapping[str, str] | None = None) -> dict[ProviderName, ProviderConfig]:
    """Providers enabled by the standard variables: a key (or `OLLAMA_HOST` for Ollama)."""
    env = os.environ if env is None else env
    configured: dict[ProviderName, ProviderConfig] = {}
    for name, (key_var, url_var) in PROVIDER_ENV.items():
        key_var = key_var or OPTIONAL_KEY_ENV.get(name)
        key = env.get(key_var) if key_var else None
        url = env.get(url_var) if url_var else None
        if (name in LOCAL_PROVIDERS and url) or (name not in LOCAL_PROVIDERS and key):
            configured[name] = ProviderConfig(name, api_key=key or None, base_url=url or None)
    return configured


def local_models(
    providers: Mapping[ProviderName, ProviderConfig], env: Mapping[str, str]
) -> tuple[list[ModelInfo], dict[ProviderName, dict[AgentMode, str]]]:
    """Models named by `OLLAMA_MODEL` / `OPENAI_COMPATIBLE_MODEL` for configured local servers,
    and the defaults they become (the same model for smart and rush)."""
    models: list[ModelInfo] = []
    defaults: dict[ProviderName, dict[AgentMode, str]] = {}
    for name, variable in MODEL_ENV.items():
        model = env.get(variable, "").strip()
        if name in providers and model:
            models.append(_unknown(model, name))
            defaults[name] = {"smart": model, "rush": model}
    return models, defaults


def how_to_enable(provider: ProviderName) -> str:
    key_var, url_var = PROVIDER_ENV[provider]
    if key_var:
        return f"set {key_var}"
    if url_var:
        return f"set {url_var} (e.g. {_URL_EXAMPLE.get(provider, 'http://127.0.0.1:8080')})"
    return f"configure a base URL for the {provider} provider in settings"


class ModelRegistry:
    """Known models, configured providers and per-provider defaults; see the module docstring."""

    def __init__(
        self,
        providers: Mapping[ProviderName, ProviderConfig],
        *,
        models: Sequence[ModelInfo] = BUILTIN_MODELS,
        defaults: Mapping[ProviderName, Mapping[AgentMode, str]] = DEFAULT_MODELS,
        prices: Mapping[str, ModelPrice] | None = None,
    ) -> None:
        self.providers = dict(providers)
        self._models = list(models)
        self._defaults = defaults
        self.prices: dict[str, ModelPrice] = dict(prices or {})
        """`codesm.pricing`: USD per million tokens by model id (or `provider/id`)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ModelRegistry:
        return cls(providers_from_env(env))

    def update_from(self, other: ModelRegistry) -> None:
        """Take `other`'s providers, models and prices in place: every agent holds this registry,
        so a provider connected while the server runs is usable by the next model call."""
        self.providers = dict(other.providers)
        self._models = list(other._models)
        self._defaults = other._defaults
        self.prices = dict(other.prices)

    def models(self) -> list[ModelInfo]:
        return list(self._models)

    def get(self, model_id: str, provider: ProviderName | None = None) -> ModelInfo | None:
        for info in self._models:
            if info.id == model_id and provider in (None, info.provider):
                return info
        return None

    def resolve(
        self, model_or_alias: str | None = None, mode: AgentMode = "smart"
    ) -> ResolvedModel:
        """The model and provider to call for `model_or_alias` (None: the mode's default)."""
        name = (model_or_alias or "").strip()
        if name in ("", "smart", "rush", "default"):
            return self._default(mode if name in ("", "default") else name)  # type: ignore[arg-type]
        candidates = [m for m in self._models if name == m.id or name in m.aliases]
        if candidates:
            return self._first_configured(name, sorted(candidates, key=_preference))
        provider, _, rest = name.partition("/")
        if rest and provider in PROVIDER_PREFERENCE:
            explicit: ProviderName = provider
            info = self.get(rest, explicit) or _unknown(rest, explicit)
            return self._first_configured(name, [info])
        for prefix, inferred in _ID_PREFIXES:
            if name.startswith(prefix):
                return self._first_configured(name, [_unknown(name, inferred)])
        known = ", ".join(sorted({a for m in self._models for a in (m.id, *m.aliases)}))
        raise ModelUnavailableError(
            f"unknown model {name!r}: use a known id or alias ({known}), "
            "or name the provider as provider/model (e.g. ollama/llama3.2)"
        )

    def _default(self, mode: AgentMode) -> ResolvedModel:
        for provider in PROVIDER_PREFERENCE:
            if provider in self.providers and provider in self._defaults:
                model_id = self._defaults[provider][mode]
                info = self.get(model_id, provider) or _unknown(model_id, provider)
                return self._resolved(info, self.providers[provider])
        options = ", ".join(how_to_enable(p) for p in PROVIDER_PREFERENCE if p in self._defaults)
        raise ModelUnavailableError(f"no model provider is configured: {options}")

    def _first_configured(self, name: str, candidates: list[ModelInfo]) -> ResolvedModel:
        for info in candidates:
            if info.provider in self.providers:
                return self._resolved(info, self.providers[info.provider])
        needs = " or ".join(
            f"{how_to_enable(p)} ({p})" for p in dict.fromkeys(c.provider for c in candidates)
        )
        raise ModelUnavailableError(f"model {name!r} is not available: {needs}")

    def _resolved(self, info: ModelInfo, provider: ProviderConfig) -> ResolvedModel:
        return ResolvedModel(info, provider, price_for(self.prices, info.id, provider.name))


def _preference(info: ModelInfo) -> int:
    return PROVIDER_PREFERENCE.index(info.provider)


def _unknown(model_id: str, provider: ProviderName) -> ModelInfo:
    base = ModelInfo(model_id, provider, context_window=128_000, max_output=8_192, known=False)
    return replace(base, caching=provider == "anthropic")
