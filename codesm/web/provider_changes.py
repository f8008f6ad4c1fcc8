"""Tells every owner tab that the providers were configured again (a key stored or removed in
the connect dialog of any tab), so each can refresh its model picker; see `provider_refresh`."""

from __future__ import annotations

import asyncio


class ProviderChanges:
    """Watchers (owner sockets) each hold an `asyncio.Event` that `changed` sets."""

    def __init__(self) -> None:
        self._watchers: set[asyncio.Event] = set()

    def watch(self) -> asyncio.Event:
        event = asyncio.Event()
        self._watchers.add(event)
        return event

    def unwatch(self, event: asyncio.Event) -> None:
        self._watchers.discard(event)

    def changed(self) -> None:
        for event in self._watchers:
            event.set()
