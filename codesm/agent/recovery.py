"""Start-up repair of sessions a crash (or kill -9) left mid-turn.

For every session with unfinished work the log gets, in one transaction:

1. a ``tool_call_finished`` with ``is_error=True, interrupted=True`` for each tool call that
   started and never finished, so every call has a result;
2. for an unfinished turn, the assistant text streamed after its last
   ``assistant_message`` folded into an ``assistant_message`` with ``incomplete=True``, so what the
   user saw is kept;
3. a ``turn_finished`` with ``status="incomplete"`` for each unfinished turn.

Afterwards ``build_transcript`` of every session passes ``validate_transcript``. Recovery appends
directly to the store, so it must run before any turn runs or any UI subscribes; running it twice
changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from codesm.agent.events import (
    INTERRUPTED_TOOL_RESULT,
    AssistantMessage,
    AssistantTextDelta,
    Event,
    StoredEvent,
    ToolCallFinished,
    ToolCallStarted,
    TurnFinished,
    TurnStarted,
)
from codesm.store import Store


@dataclass(frozen=True, slots=True)
class RecoveredSession:
    session_id: str
    interrupted_calls: tuple[str, ...]
    finished_turns: tuple[str, ...]
    kept_partial_text: bool


async def recover_sessions(store: Store) -> list[RecoveredSession]:
    """Repair every session with unfinished turns or tool calls; returns what was done."""
    recovered: list[RecoveredSession] = []
    for session_id in await store.events.sessions_with_open_work():
        repairs = recovery_events(await store.events_after(session_id))
        if repairs:
            await store.append_events(session_id, repairs)
            recovered.append(_summary(session_id, repairs))
    return recovered


def recovery_events(events: Sequence[StoredEvent]) -> list[Event]:
    """The events that close a session's unfinished work (see the module docstring).

    A tool call counts as unfinished when an ``assistant_message`` or ``tool_call_started`` names
    it and no ``tool_call_finished`` answers it, so calls that never got to start are closed too.
    """
    calls: dict[str, str] = {}
    finished_calls: set[str] = set()
    turns: dict[str, None] = {}
    finished_turns: set[str] = set()
    for item in events:
        event = item.event
        if isinstance(event, AssistantMessage):
            calls.update((call.call_id, event.turn_id) for call in event.tool_calls)
        elif isinstance(event, ToolCallStarted):
            calls.setdefault(event.call_id, event.turn_id)
        elif isinstance(event, ToolCallFinished):
            finished_calls.add(event.call_id)
        elif isinstance(event, TurnStarted):
            turns[event.turn_id] = None
        elif isinstance(event, TurnFinished):
            finished_turns.add(event.turn_id)
    repairs: list[Event] = [
        ToolCallFinished(
            turn_id=turn_id,
            call_id=call_id,
            content=INTERRUPTED_TOOL_RESULT,
            is_error=True,
            interrupted=True,
        )
        for call_id, turn_id in calls.items()
        if call_id not in finished_calls
    ]
    for turn_id in turns:
        if turn_id in finished_turns:
            continue
        partial = _partial_assistant(events, turn_id)
        if partial is not None:
            repairs.append(partial)
        repairs.append(TurnFinished(turn_id=turn_id, status="incomplete", reason="interrupted"))
    return repairs


def _partial_assistant(events: Sequence[StoredEvent], turn_id: str) -> AssistantMessage | None:
    # Thinking deltas stay in the log for UIs but are not folded in: without the provider's
    # signature a thinking block cannot be sent back to the model.
    text: list[str] = []
    for item in events:
        event = item.event
        if isinstance(event, AssistantMessage) and event.turn_id == turn_id:
            text = []
        elif isinstance(event, AssistantTextDelta) and event.turn_id == turn_id:
            text.append(event.text)
    if not "".join(text).strip():
        return None
    return AssistantMessage(
        turn_id=turn_id, text="".join(text), incomplete=True, stop_reason="interrupted"
    )


def _summary(session_id: str, repairs: Sequence[Event]) -> RecoveredSession:
    return RecoveredSession(
        session_id=session_id,
        interrupted_calls=tuple(e.call_id for e in repairs if isinstance(e, ToolCallFinished)),
        finished_turns=tuple(e.turn_id for e in repairs if isinstance(e, TurnFinished)),
        kept_partial_text=any(isinstance(e, AssistantMessage) for e in repairs),
    )
