"""The provider clients one agent has opened, one per provider configuration."""

from __future__ import annotations

from collections.abc import Callable

from codesm.agent.providers.base import Provider
from codesm.agent.providers.registry import ProviderConfig, ResolvedModel


class ProviderPool:
    """Opens a provider client on first use and keeps it for the agent's life."""

    def __init__(self, factory: Callable[[ResolvedModel], Provider]) -> None:
        self._factory = factory
        # Keyed by the whole config: a key stored or replaced while the server runs gets a new
        # client rather than the one holding the old key.
        self._providers: dict[ProviderConfig, Provider] = {}

    def get(self, resolved: ResolvedModel) -> Provider:
        key = resolved.provider
        if key not in self._providers:
            self._providers[key] = self._factory(resolved)
        return self._providers[key]

    async def aclose(self) -> None:
        """Close every client that has an `aclose` and forget them all."""
        for provider in self._providers.values():
            close = getattr(provider, "aclose", None)
            if close is not None:
                await close()
        self._providers.clear()
