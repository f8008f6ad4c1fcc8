"""Fan-out of committed events to live subscribers, with replay from the store.

``publish`` commits events (the store assigns ``seq``) and only then hands them to subscribers;
publishes to one session are serialized, so subscribers receive them in ``seq`` order. A
subscriber's queue is bounded and filled with ``put_nowait``: a publisher never waits for a
reader. A subscriber whose queue overflows is marked as lagging and reads from the store instead.

A subscription reads the store first (events after ``after_seq``) and then its queue. It is
registered before its first store read, so an event committed after that read is in its queue;
every delivered event must have exactly ``cursor + 1`` as its ``seq``, anything older is a
duplicate and dropped, anything newer means a gap and triggers a store read. Together: no gap, no
duplicate, whatever the interleaving of joins and publishes.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Protocol

from codesm.agent.events import Event, StoredEvent

DEFAULT_QUEUE_SIZE = 1024
REPLAY_PAGE = 500
log = logging.getLogger(__name__)

Observer = Callable[[str, StoredEvent], None]
"""Sees every committed event of every session, in order per session; must not block."""


class EventStore(Protocol):
    """What the hub needs of ``codesm.store.Store``."""

    async def append_events(
        self, session_id: str, events: Sequence[Event]
    ) -> list[StoredEvent]: ...

    async def events_after(
        self, session_id: str, after_seq: int = 0, limit: int | None = None
    ) -> list[StoredEvent]: ...


class Subscription:
    """One subscriber's view of a session: iterate it to get ``StoredEvent``s in ``seq`` order.

    Use as ``async with hub.subscribe(session_id) as events: async for stored in events: ...``;
    leaving the block unsubscribes. Iteration ends when the subscription or the hub is closed.
    """

    def __init__(
        self, hub: SessionHub, store: EventStore, session_id: str, after_seq: int, maxsize: int
    ) -> None:
        self.session_id = session_id
        self.cursor = after_seq
        """The ``seq`` of the last event delivered."""
        self.resyncs = 0
        """How many times this subscriber fell behind and re-read the store."""
        self._hub = hub
        self._store = store
        self._queue: asyncio.Queue[StoredEvent | None] = asyncio.Queue(maxsize)
        self._replay: collections.deque[StoredEvent] = collections.deque()
        self._must_read_store = True
        self._lagging = False
        self._closed = False

    # Called by the hub, synchronously, in seq order.
    def _offer(self, stored: StoredEvent) -> None:
        if self._lagging:
            return
        try:
            self._queue.put_nowait(stored)
        except asyncio.QueueFull:
            self._lagging = True
            self.resyncs += 1

    def _wake_closed(self) -> None:
        self._closed = True
        if not self._queue.full():
            self._queue.put_nowait(None)

    def close(self) -> None:
        """Unsubscribe; a pending or later read ends the iteration."""
        if not self._closed:
            self._hub._unsubscribe(self)
            self._wake_closed()

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> StoredEvent:
        stored = await self.next()
        if stored is None:
            raise StopAsyncIteration
        return stored

    async def next(self) -> StoredEvent | None:
        """The next event in ``seq`` order, waiting for it if needed; None once closed."""
        while not self._closed:
            if self._replay:
                stored = self._replay.popleft()
                if stored.seq > self.cursor:
                    self.cursor = stored.seq
                    return stored
                continue
            if self._lagging or self._must_read_store:
                await self._read_store()
                continue
            item = await self._queue.get()
            if item is None:
                break
            if item.seq <= self.cursor:
                continue
            if item.seq == self.cursor + 1:
                self.cursor = item.seq
                return item
            self._must_read_store = True  # a gap: the missing events are in the store
        return None

    async def _read_store(self) -> None:
        # Clear the flag before reading: anything dropped during the read sets it again.
        self._lagging = False
        while not self._queue.empty():
            if self._queue.get_nowait() is None:
                self._closed = True
        page = await self._store.events_after(self.session_id, self.cursor, REPLAY_PAGE)
        self._must_read_store = len(page) == REPLAY_PAGE
        self._replay.extend(page)


class SessionHub:
    """Commit-then-publish for session events, and live subscriptions with replay."""

    def __init__(self, store: EventStore, *, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        self._store = store
        self._queue_size = queue_size
        self._subscribers: dict[str, set[Subscription]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._closed = False
        self._observers: list[Observer] = []

    def observe(self, observer: Observer) -> None:
        """Call `observer` with each event committed from now on, in every session (the
        runtime's notifications use it; a failing observer is logged, never the publisher's)."""
        self._observers.append(observer)

    async def publish(self, session_id: str, *events: Event) -> list[StoredEvent]:
        """Commit ``events`` in one transaction, then deliver them; returns them with ``seq``.

        Cancelling the caller does not cancel the commit or the delivery once started, so an
        event is either committed and delivered or neither.
        """
        if not events:
            return []
        task = asyncio.ensure_future(self._commit_and_deliver(session_id, events))
        task.add_done_callback(_retrieve_exception)
        return await asyncio.shield(task)

    async def _commit_and_deliver(
        self, session_id: str, events: Sequence[Event]
    ) -> list[StoredEvent]:
        lock = self._locks.setdefault(session_id, asyncio.Lock())
        async with lock:
            stored = await self._store.append_events(session_id, events)
            for subscriber in list(self._subscribers.get(session_id, ())):
                for item in stored:
                    subscriber._offer(item)
            for observer in self._observers:
                for item in stored:
                    try:
                        observer(session_id, item)
                    except Exception:
                        log.exception("a session event observer failed")
        return stored

    def subscribe(
        self, session_id: str, after_seq: int = 0, *, queue_size: int | None = None
    ) -> Subscription:
        """Subscribe to a session's events with ``seq > after_seq`` (0: from the beginning).

        The subscriber is registered immediately; nothing published after this call is missed.
        """
        if self._closed:
            raise RuntimeError("the session hub is closed")
        subscription = Subscription(
            self, self._store, session_id, after_seq, queue_size or self._queue_size
        )
        self._subscribers.setdefault(session_id, set()).add(subscription)
        return subscription

    def subscriber_count(self, session_id: str) -> int:
        return len(self._subscribers.get(session_id, ()))

    def _unsubscribe(self, subscription: Subscription) -> None:
        subscribers = self._subscribers.get(subscription.session_id)
        if subscribers is not None:
            subscribers.discard(subscription)
            if not subscribers:
                del self._subscribers[subscription.session_id]

    async def aclose(self) -> None:
        """End every subscription; waits for publishes in flight to finish delivering."""
        self._closed = True
        for lock in list(self._locks.values()):
            async with lock:
                pass
        for subscribers in list(self._subscribers.values()):
            for subscription in list(subscribers):
                subscription.close()


def _retrieve_exception(task: asyncio.Future[list[StoredEvent]]) -> None:
    # The publisher may have been cancelled and gone; its failure must not go unobserved.
    if not task.cancelled():
        task.exception()
