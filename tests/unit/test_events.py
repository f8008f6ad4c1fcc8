"""The event/op protocol: JSON shapes are snapshot-tested, parsing is strict and typed."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pydantic
import pytest

from codesm.agent import events as ev
from codesm.agent import ops
from codesm.agent.messages import ThinkingPart, ToolCallPart
from codesm.errors import ProtocolError

SNAPSHOT = Path(__file__).parent / "snapshots" / "events.json"
UPDATE = os.environ.get("CODESM_UPDATE_SNAPSHOTS") == "1"

EVENT_EXAMPLES: list[ev.Event] = [
    ev.UserMessage(turn_id="t1", text="fix the failing test"),
    ev.AssistantTextDelta(turn_id="t1", text="Let me "),
    ev.ThinkingDelta(turn_id="t1", text="The test fails because"),
    ev.AssistantMessage(
        turn_id="t1",
        text="Let me look.",
        thinking=[ThinkingPart(text="The test fails because", signature="sig")],
        tool_calls=[ToolCallPart(call_id="c1", name="read", arguments={"path": "a.py"})],
        stop_reason="tool_use",
    ),
    ev.ToolCallStarted(turn_id="t1", call_id="c1", name="read", arguments={"path": "a.py"}),
    ev.ToolOutputDelta(turn_id="t1", call_id="c1", text="line 1\n"),
    ev.ToolCallFinished(turn_id="t1", call_id="c1", content="line 1\n"),
    ev.ApprovalRequested(
        turn_id="t1", call_id="c2", kind="command", title="pytest -q", reason="not allowlisted"
    ),
    ev.ApprovalDecided(turn_id="t1", call_id="c2", decision="denied", comment="use -x"),
    ev.ChangeProposed(
        turn_id="t1", call_id="c3", change_id="ch1", paths=["a.py"], diff="--- a/a.py\n+++ b/a.py\n"
    ),
    ev.ChangeApplied(turn_id="t1", call_id="c3", change_id="ch1", paths=["a.py"]),
    ev.ChangeRejected(turn_id="t1", call_id="c4", change_id="ch2", reason="conflict"),
    ev.ChangeUndone(change_id="ch1", paths=["a.py"], call_id="c3"),
    ev.ChangeRedone(change_id="ch1", paths=["a.py"], call_id="c3"),
    ev.Usage(
        turn_id="t1",
        provider="anthropic",
        model="claude-sonnet-4-5",
        input_tokens=1200,
        output_tokens=300,
        cache_read_tokens=5000,
        cache_write_tokens=800,
        cost_usd=0.0123,
        tool_calls=[ev.ToolCallRef(call_id="c1", name="read")],
    ),
    ev.BudgetWarning(turn_id="t1", scope="session", limit_usd=1.0, spent_usd=0.82),
    ev.ContextReport(
        model="claude-sonnet-4-5",
        context_window=200_000,
        system_prompt=900,
        tool_schemas=2400,
        instructions=300,
        history=5100,
        tool_outputs=7700,
        calibrated=True,
    ),
    ev.Compaction(turn_id="t1", summary="We fixed a.py.", keep_from_seq=40, tokens_before=9000),
    ev.Title(title="Fix the failing test"),
    ev.Error(turn_id="t1", message="rate limited", kind="provider", retryable=True),
    ev.Retry(turn_id="t1", attempt=1, delay_s=0.5, reason="429"),
    ev.TurnStarted(turn_id="t1"),
    ev.TurnFinished(turn_id="t1", status="completed"),
    ev.ModeChanged(mode="rush"),
    ev.PermissionModeChanged(permission_mode="auto-edit"),
    ev.ModelChanged(model="gpt-5", provider="openai"),
    ev.SubagentStarted(
        turn_id="t1",
        call_id="c5",
        child_session_id="s2",
        subagent_type="finder",
        model="claude-haiku-5-5",
        description="Find auth files",
        route_reason="keywords: find (heuristic)",
    ),
    ev.SubagentFinished(
        turn_id="t1",
        call_id="c5",
        child_session_id="s2",
        subagent_type="finder",
        model="claude-haiku-5-5",
        status="completed",
        cost_usd=0.0012,
        duration_s=1.5,
        steps=2,
        summary="auth.py, session.py",
    ),
    ev.SubagentProgress(
        turn_id="t1",
        call_id="c5",
        child_session_id="s3",
        parent_child_session_id="s2",
        subagent_type="researcher",
        model="claude-haiku-5-5",
        description="Read the auth tests",
        depth=2,
        step=3,
        activity="running grep 'login'",
        elapsed_s=4.2,
        input_tokens=5200,
        output_tokens=310,
        cost_usd=0.0031,
    ),
]

OP_EXAMPLES: list[ops.Op] = [
    ops.SubmitPrompt(text="hello", mode="smart"),
    ops.Cancel(turn_id="t1"),
    ops.Approve(call_id="c1", hunks=[0, 2]),
    ops.Deny(call_id="c1", comment="not that file"),
    ops.Answer(call_id="c1", decision="deny", comment="use the other helper"),
    ops.SetMode(mode="rush"),
    ops.SetPermissionMode(permission_mode="review"),
    ops.SetModel(model="sonnet"),
    ops.Compact(instructions="keep the test names"),
    ops.SetBudget(scope="day", usd=5.0),
    ops.ShowContext(),
    ops.UndoChange(change_id="ch1"),
    ops.RedoChange(),
    ops.SteerSubagent(child_session_id="s2", text="also check the tests"),
    ops.CancelSubagent(child_session_id="s2"),
]


def _as_json(models: list[ev.Event] | list[ops.Op]) -> dict[str, Any]:
    return {model.type: json.loads(model.model_dump_json()) for model in models}


def _snapshot() -> dict[str, Any]:
    current = {"events": _as_json(EVENT_EXAMPLES), "ops": _as_json(OP_EXAMPLES)}
    if UPDATE:
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    loaded: dict[str, Any] = json.loads(SNAPSHOT.read_text())
    return loaded


def test_every_event_type_has_an_example_and_a_snapshot() -> None:
    snapshot = _snapshot()
    assert sorted(_as_json(EVENT_EXAMPLES)) == sorted(ev.EVENT_TYPES)
    assert sorted(snapshot["events"]) == sorted(ev.EVENT_TYPES)


def test_every_op_type_has_an_example_and_a_snapshot() -> None:
    snapshot = _snapshot()
    assert sorted(_as_json(OP_EXAMPLES)) == sorted(ops.OP_TYPES)
    assert sorted(snapshot["ops"]) == sorted(ops.OP_TYPES)


def test_event_json_matches_the_checked_in_snapshot() -> None:
    assert _as_json(EVENT_EXAMPLES) == _snapshot()["events"]


def test_op_json_matches_the_checked_in_snapshot() -> None:
    assert _as_json(OP_EXAMPLES) == _snapshot()["ops"]


@pytest.mark.parametrize("event", EVENT_EXAMPLES, ids=lambda e: e.type)
def test_each_event_round_trips_through_parse_event(event: ev.Event) -> None:
    assert ev.parse_event(event.model_dump_json()) == event
    assert ev.parse_event(event.model_dump(mode="json")) == event


@pytest.mark.parametrize("op", OP_EXAMPLES, ids=lambda o: o.type)
def test_each_op_round_trips_through_parse_op(op: ops.Op) -> None:
    assert ops.parse_op(op.model_dump_json()) == op


def test_an_unknown_event_type_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="not a valid event"):
        ev.parse_event('{"type": "teleport", "turn_id": "t"}')


def test_an_event_with_an_unexpected_field_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        ev.parse_event({"type": "title", "title": "x", "colour": "red"})


def test_an_op_missing_a_required_field_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="not a valid op"):
        ops.parse_op({"type": "approve"})


def test_events_are_frozen() -> None:
    title = ev.Title(title="a")
    with pytest.raises(pydantic.ValidationError):
        setattr(title, "title", "b")  # noqa: B010 - bypass the type checker on purpose


def test_a_stored_event_round_trips_with_its_envelope() -> None:
    stored = ev.StoredEvent(
        session_id="s", seq=3, ts=datetime(2026, 1, 2, tzinfo=UTC), event=ev.Title(title="x")
    )
    assert ev.StoredEvent.model_validate_json(stored.model_dump_json()) == stored


def test_paired_events_expose_their_call_id_and_turn_id() -> None:
    started = ev.ToolCallStarted(turn_id="t", call_id="c", name="bash")
    assert (ev.event_call_id(started), ev.event_turn_id(started)) == ("c", "t")
    assert (ev.event_call_id(ev.Title(title="x")), ev.event_turn_id(ev.Title(title="x"))) == (
        None,
        None,
    )


def test_events_logged_before_steering_and_progress_existed_still_replay() -> None:
    old = ev.parse_event({"type": "user_message", "turn_id": "t1", "text": "fix it"})
    assert isinstance(old, ev.UserMessage) and old.steering is False
    started = {"type": "subagent_started", "turn_id": "t1", "call_id": "c5",
               "child_session_id": "s2", "subagent_type": "finder", "model": "m"}  # fmt: skip
    assert isinstance(ev.parse_event(started), ev.SubagentStarted)
