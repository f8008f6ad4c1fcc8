"""Start-up recovery closes what a crash left open, so every session can take its next request."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codesm.agent import events as ev
from codesm.agent.messages import ToolCallPart
from codesm.agent.recovery import RecoveredSession, recover_sessions, recovery_events
from codesm.agent.transcript import build_transcript, validate_transcript
from codesm.store import Store
from tests.support.crash_writer import turn_batches

TS = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(tmp_path / "codesm.db") as opened:
        yield opened


async def _session(store: Store, *events: ev.Event) -> str:
    session_id = (await store.sessions.create()).id
    await store.append_events(session_id, list(events))
    return session_id


async def _tail(store: Store, session_id: str, after: int) -> list[ev.Event]:
    return [s.event for s in await store.events_after(session_id, after)]


def _call(call_id: str) -> ToolCallPart:
    return ToolCallPart(call_id=call_id, name="bash", arguments={"command": "make"})


async def test_a_running_tool_gets_an_interrupted_error_result_and_the_turn_ends_incomplete(
    store: Store,
) -> None:
    session_id = await _session(
        store,
        ev.TurnStarted(turn_id="t1"),
        ev.UserMessage(turn_id="t1", text="build it"),
        ev.AssistantMessage(turn_id="t1", text="Building.", tool_calls=[_call("c1")]),
        ev.ToolCallStarted(turn_id="t1", call_id="c1", name="bash"),
        ev.ToolOutputDelta(turn_id="t1", call_id="c1", text="cc -o x"),
    )
    report = await recover_sessions(store)
    assert report == [RecoveredSession(session_id, ("c1",), ("t1",), False)]
    assert await _tail(store, session_id, 5) == [
        ev.ToolCallFinished(
            turn_id="t1",
            call_id="c1",
            content="interrupted: codesm stopped before this tool finished",
            is_error=True,
            interrupted=True,
        ),
        ev.TurnFinished(turn_id="t1", status="incomplete", reason="interrupted"),
    ]
    validate_transcript(build_transcript(await store.events_after(session_id)))


async def test_streamed_text_after_the_last_assistant_message_is_kept_as_incomplete(
    store: Store,
) -> None:
    session_id = await _session(
        store,
        ev.TurnStarted(turn_id="t1"),
        ev.UserMessage(turn_id="t1", text="explain"),
        ev.AssistantTextDelta(turn_id="t1", text="Step one"),
        ev.AssistantMessage(turn_id="t1", text="Step one", tool_calls=[_call("c1")]),
        ev.ToolCallStarted(turn_id="t1", call_id="c1", name="bash"),
        ev.ToolCallFinished(turn_id="t1", call_id="c1", content="ok"),
        ev.ThinkingDelta(turn_id="t1", text="so"),
        ev.AssistantTextDelta(turn_id="t1", text="The build "),
        ev.AssistantTextDelta(turn_id="t1", text="passed, and"),
    )
    await recover_sessions(store)
    assert await _tail(store, session_id, 9) == [
        ev.AssistantMessage(
            turn_id="t1", text="The build passed, and", incomplete=True, stop_reason="interrupted"
        ),
        ev.TurnFinished(turn_id="t1", status="incomplete", reason="interrupted"),
    ]
    transcript = build_transcript(await store.events_after(session_id))
    validate_transcript(transcript)
    assert transcript[-1].role == "assistant"


async def test_tool_calls_that_never_started_also_get_a_result(store: Store) -> None:
    session_id = await _session(
        store,
        ev.TurnStarted(turn_id="t1"),
        ev.UserMessage(turn_id="t1", text="edit"),
        ev.AssistantMessage(turn_id="t1", tool_calls=[_call("c1"), _call("c2")]),
        ev.ToolCallStarted(turn_id="t1", call_id="c1", name="bash"),
        ev.ToolCallFinished(turn_id="t1", call_id="c1", content="ok"),
        ev.ApprovalRequested(turn_id="t1", call_id="c2", kind="command", title="make"),
    )
    [report] = await recover_sessions(store)
    assert report.interrupted_calls == ("c2",)
    validate_transcript(build_transcript(await store.events_after(session_id)))


async def test_a_session_interrupted_right_after_the_prompt_is_resumable(store: Store) -> None:
    session_id = await _session(
        store, ev.TurnStarted(turn_id="t1"), ev.UserMessage(turn_id="t1", text="hello")
    )
    await recover_sessions(store)
    await store.append_events(
        session_id,
        [
            ev.TurnStarted(turn_id="t2"),
            ev.UserMessage(turn_id="t2", text="are you there?"),
        ],
    )
    transcript = build_transcript(await store.events_after(session_id))
    validate_transcript(transcript)
    assert len(transcript) == 1 and len(transcript[0].parts) == 2


async def test_recovery_leaves_finished_sessions_alone_and_is_idempotent(store: Store) -> None:
    finished = await _session(
        store,
        ev.TurnStarted(turn_id="t1"),
        ev.UserMessage(turn_id="t1", text="hi"),
        ev.AssistantMessage(turn_id="t1", text="hello"),
        ev.TurnFinished(turn_id="t1", status="completed"),
    )
    broken = await _session(
        store,
        ev.TurnStarted(turn_id="t1"),
        ev.UserMessage(turn_id="t1", text="hi"),
    )
    assert [r.session_id for r in await recover_sessions(store)] == [broken]
    assert await recover_sessions(store) == []
    assert await store.events.last_seq(finished) == 4
    assert await store.events.last_seq(broken) == 3


async def test_only_the_unfinished_turn_is_closed(store: Store) -> None:
    session_id = await _session(
        store,
        ev.TurnStarted(turn_id="t1"),
        ev.UserMessage(turn_id="t1", text="one"),
        ev.AssistantMessage(turn_id="t1", text="1"),
        ev.TurnFinished(turn_id="t1", status="completed"),
        ev.TurnStarted(turn_id="t2"),
        ev.UserMessage(turn_id="t2", text="two"),
        ev.AssistantTextDelta(turn_id="t2", text="2"),
    )
    [report] = await recover_sessions(store)
    assert report == RecoveredSession(session_id, (), ("t2",), True)


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), turns=st.integers(1, 4), cut=st.floats(0, 1))
def test_any_log_cut_at_a_batch_boundary_is_valid_after_recovery(
    seed: int, turns: int, cut: float
) -> None:
    rng = random.Random(seed)
    batches = [batch for _ in range(turns) for batch in turn_batches(rng)]
    events = [event for batch in batches[: int(len(batches) * cut)] for event in batch]
    log = [
        ev.StoredEvent(session_id="s", seq=i, ts=TS, event=event)
        for i, event in enumerate(events, start=1)
    ]
    repairs = recovery_events(log)
    repaired = log + [
        ev.StoredEvent(session_id="s", seq=len(log) + i, ts=TS, event=event)
        for i, event in enumerate(repairs, start=1)
    ]
    validate_transcript(build_transcript(repaired))
    assert recovery_events(repaired) == []
