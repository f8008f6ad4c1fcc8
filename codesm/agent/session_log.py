"""The part of a session's event log the model's history is built from, kept in memory and
topped up from the store (tools, approvals and the review gate publish too, so the store, not
what passed through one object, is the truth)."""

from __future__ import annotations

from codesm.agent.events import StoredEvent
from codesm.agent.messages import Message
from codesm.agent.transcript import build_transcript
from codesm.store import Store

HISTORY_EVENT_TYPES = frozenset(
    {"user_message", "assistant_message", "tool_call_finished", "compaction"}
)


class SessionLog:
    def __init__(self, store: Store, session_id: str) -> None:
        self._store = store
        self._session_id = session_id
        self._events: list[StoredEvent] = []
        self._seq = 0

    async def events(self) -> list[StoredEvent]:
        """The committed events that shape the history, read incrementally from the store."""
        fresh = await self._store.events_after(self._session_id, self._seq)
        if fresh:
            self._seq = fresh[-1].seq
            self._events.extend(s for s in fresh if s.event.type in HISTORY_EVENT_TYPES)
        return self._events

    async def messages(self) -> list[Message]:
        return build_transcript(await self.events())
