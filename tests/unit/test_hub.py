"""SessionHub: commit-then-publish, replay then live, no gap and no duplicate, never blocking."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from codesm.agent import events as ev
from codesm.agent.hub import SessionHub, Subscription
from codesm.errors import StoreError
from codesm.store import Store


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(tmp_path / "codesm.db") as opened:
        yield opened


@pytest.fixture
async def hub(store: Store) -> AsyncIterator[SessionHub]:
    session_hub = SessionHub(store)
    yield session_hub
    await session_hub.aclose()


@pytest.fixture
async def session_id(store: Store) -> str:
    return (await store.sessions.create()).id


def _delta(i: int) -> ev.AssistantTextDelta:
    return ev.AssistantTextDelta(turn_id="t", text=str(i))


async def _collect(subscription: Subscription, count: int, *, delay: float = 0.0) -> list[int]:
    seqs: list[int] = []
    async with subscription:
        async for stored in subscription:
            seqs.append(stored.seq)
            assert stored.event == _delta(int(stored.event.text))  # type: ignore[union-attr]
            if delay:
                await asyncio.sleep(delay)
            if len(seqs) == count:
                break
    return seqs


async def test_publish_commits_before_it_returns(
    hub: SessionHub, store: Store, session_id: str
) -> None:
    stored = await hub.publish(session_id, _delta(1), _delta(2))
    assert [s.seq for s in stored] == [1, 2]
    assert await store.events_after(session_id) == stored


async def test_a_late_subscriber_replays_then_follows_live(
    hub: SessionHub, session_id: str
) -> None:
    for i in range(1, 4):
        await hub.publish(session_id, _delta(i))
    collector = asyncio.create_task(_collect(hub.subscribe(session_id), 6))
    for i in range(4, 7):
        await hub.publish(session_id, _delta(i))
    assert await asyncio.wait_for(collector, 5) == [1, 2, 3, 4, 5, 6]


async def test_subscribing_after_a_seq_skips_what_was_seen(
    hub: SessionHub, session_id: str
) -> None:
    for i in range(1, 6):
        await hub.publish(session_id, _delta(i))
    assert await _collect(hub.subscribe(session_id, after_seq=3), 2) == [4, 5]


async def test_concurrent_publishers_and_late_joiners_see_exactly_one_to_n(
    hub: SessionHub, session_id: str
) -> None:
    publishers, per_publisher = 8, 25
    total = publishers * per_publisher
    rng = random.Random(7)

    async def publish(p: int) -> None:
        for k in range(per_publisher):
            batch = [_delta(p * 1000 + k)]
            if rng.random() < 0.3:
                batch.append(_delta(p * 1000 + k))
            await hub.publish(session_id, *batch)
            await asyncio.sleep(rng.random() / 1000)

    async def join_later(delay: float) -> list[int]:
        await asyncio.sleep(delay)
        return await _collect(hub.subscribe(session_id, queue_size=16), total)

    joiners = [asyncio.create_task(join_later(i * 0.004)) for i in range(12)]
    await asyncio.gather(*(publish(p) for p in range(publishers)))
    results = await asyncio.wait_for(asyncio.gather(*joiners), 20)
    for seqs in results:
        assert seqs == list(range(1, total + 1))


async def test_a_slow_subscriber_never_blocks_publishers_and_resyncs_from_the_store(
    hub: SessionHub, session_id: str
) -> None:
    total = 300
    slow = hub.subscribe(session_id, queue_size=4)
    fast = hub.subscribe(session_id)
    slow_reader = asyncio.create_task(_collect(slow, total, delay=0.002))
    fast_reader = asyncio.create_task(_collect(fast, total))
    for i in range(total):
        await hub.publish(session_id, _delta(i))
    assert not slow_reader.done()
    assert await asyncio.wait_for(slow_reader, 10) == list(range(1, total + 1))
    assert await asyncio.wait_for(fast_reader, 10) == list(range(1, total + 1))
    assert slow.resyncs > 0
    assert fast.resyncs == 0


async def test_joining_while_events_are_published_concurrently_has_no_gap(
    hub: SessionHub, session_id: str
) -> None:
    total = 400

    async def publish_all() -> None:
        for i in range(0, total, 2):
            await hub.publish(session_id, _delta(i), _delta(i + 1))

    publisher = asyncio.create_task(publish_all())
    collectors: list[asyncio.Task[list[int]]] = []
    while not publisher.done() and len(collectors) < 40:
        subscription = hub.subscribe(session_id, queue_size=8)
        collectors.append(asyncio.create_task(_collect(subscription, total)))
        await asyncio.sleep(0.001)
    await publisher
    for seqs in await asyncio.wait_for(asyncio.gather(*collectors), 20):
        assert seqs == list(range(1, total + 1))
    assert len(collectors) > 10


async def test_a_cancelled_publisher_still_commits_and_delivers(
    hub: SessionHub, session_id: str
) -> None:
    subscription = hub.subscribe(session_id)
    publisher = asyncio.create_task(hub.publish(session_id, _delta(1)))
    await asyncio.sleep(0)
    publisher.cancel()
    with pytest.raises(asyncio.CancelledError):
        await publisher
    assert await asyncio.wait_for(_collect(subscription, 1), 5) == [1]


async def test_a_failed_publish_raises_and_delivers_nothing(hub: SessionHub) -> None:
    subscription = hub.subscribe("missing")
    with pytest.raises(StoreError):
        await hub.publish("missing", _delta(1))
    async with subscription:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(subscription.next(), 0.05)


async def test_closing_a_subscription_ends_its_iteration_and_unsubscribes(
    hub: SessionHub, session_id: str
) -> None:
    subscription = hub.subscribe(session_id)
    reader = asyncio.create_task(subscription.next())
    await asyncio.sleep(0.01)
    subscription.close()
    assert await asyncio.wait_for(reader, 1) is None
    assert hub.subscriber_count(session_id) == 0


async def test_closing_the_hub_ends_every_subscription(store: Store, session_id: str) -> None:
    hub = SessionHub(store)
    subscriptions = [hub.subscribe(session_id) for _ in range(3)]
    readers = [asyncio.create_task(s.next()) for s in subscriptions]
    await asyncio.sleep(0.01)
    await hub.aclose()
    assert await asyncio.wait_for(asyncio.gather(*readers), 1) == [None, None, None]
    with pytest.raises(RuntimeError):
        hub.subscribe(session_id)


async def test_sessions_are_isolated(hub: SessionHub, store: Store, session_id: str) -> None:
    other = (await store.sessions.create()).id
    subscription = hub.subscribe(other)
    await hub.publish(session_id, _delta(1))
    await hub.publish(other, _delta(2))
    async with subscription:
        stored = await asyncio.wait_for(subscription.next(), 1)
    assert stored is not None and (stored.session_id, stored.seq) == (other, 1)


class GatedStore:
    """A real store whose ``events_after`` can be held open, to interleave a publish with the
    replay read of a joining subscriber at an exact point."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.before_read = asyncio.Event()
        self.after_read = asyncio.Event()
        self.before_read.set()
        self.after_read.set()
        self.reading = asyncio.Event()

    async def append_events(
        self, session_id: str, events: Sequence[ev.Event]
    ) -> list[ev.StoredEvent]:
        return await self.store.append_events(session_id, events)

    async def events_after(
        self, session_id: str, after_seq: int = 0, limit: int | None = None
    ) -> list[ev.StoredEvent]:
        self.reading.set()
        await self.before_read.wait()
        page = await self.store.events_after(session_id, after_seq, limit)
        await self.after_read.wait()
        return page


@pytest.mark.parametrize("held", ["before_read", "after_read"])
async def test_an_event_published_during_the_replay_read_arrives_exactly_once(
    store: Store, session_id: str, held: str
) -> None:
    gated = GatedStore(store)
    hub = SessionHub(gated)
    for i in range(1, 4):
        await hub.publish(session_id, _delta(i))
    getattr(gated, held).clear()
    collector = asyncio.create_task(_collect(hub.subscribe(session_id), 4))
    await asyncio.wait_for(gated.reading.wait(), 1)
    await hub.publish(session_id, _delta(4))
    getattr(gated, held).set()
    assert await asyncio.wait_for(collector, 2) == [1, 2, 3, 4]
    await hub.aclose()
