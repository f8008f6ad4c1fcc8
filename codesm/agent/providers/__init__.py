"""Model providers: one adapter per wire protocol, normalised streaming, usage and cost, retries,
and the model registry. See `base` for the stream contract every adapter keeps."""

from __future__ import annotations

from codesm.agent.providers.base import Provider, RetryPolicy
from codesm.agent.providers.factory import create_provider
from codesm.agent.providers.pricing import Cost, compute_cost
from codesm.agent.providers.registry import (
    ModelInfo,
    ModelRegistry,
    ProviderConfig,
    ResolvedModel,
    providers_from_env,
)

__all__ = [
    "Cost",
    "ModelInfo",
    "ModelRegistry",
    "Provider",
    "ProviderConfig",
    "ResolvedModel",
    "RetryPolicy",
    "compute_cost",
    "create_provider",
    "providers_from_env",
]
