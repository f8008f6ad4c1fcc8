"""Folding events into fragments: cheap appends while streaming, one markdown render at the end,
and a replay that shows exactly what the live page ended with."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from codesm.agent.events import (
    ApprovalDecided,
    ApprovalRequested,
    AssistantMessage,
    AssistantTextDelta,
    Event,
    StoredEvent,
    ThinkingDelta,
    ToolCallFinished,
    ToolCallStarted,
    ToolOutputDelta,
    TurnFinished,
    TurnStarted,
    Usage,
    UserMessage,
)
from codesm.web.app import TEMPLATES_DIR
from codesm.web.render.diff import parse_unified_diff
from codesm.web.render.live import SessionRenderer
from codesm.web.render.view import StatusView


@pytest.fixture(scope="module")
def macros() -> Any:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True, undefined=StrictUndefined
    )
    env.globals.update(csrf_token="t", parse_diff=parse_unified_diff)
    return env.get_template("partials/live.html").module


def renderer(macros: Any) -> SessionRenderer:
    return SessionRenderer(macros, StatusView("smart", "review", "model-x", 200_000), str)


def stored(events: list[Event]) -> list[StoredEvent]:
    now = datetime.now(UTC)
    return [StoredEvent(session_id="s", seq=n, ts=now, event=e) for n, e in enumerate(events, 1)]


def a_turn(deltas: int) -> list[Event]:
    text = "".join(f"word{n} " for n in range(deltas))
    return [
        TurnStarted(turn_id="t1"),
        UserMessage(turn_id="t1", text="go"),
        ThinkingDelta(turn_id="t1", text="hmm"),
        *[AssistantTextDelta(turn_id="t1", text=f"word{n} ") for n in range(deltas)],
        AssistantMessage(turn_id="t1", text=text + "**done**"),
        ToolCallStarted(turn_id="t1", call_id="c1", name="bash", arguments={"command": "ls"}),
        ToolOutputDelta(turn_id="t1", call_id="c1", text="\x1b[31mred\x1b[0m\n"),
        ToolCallFinished(turn_id="t1", call_id="c1", content="red"),
        ApprovalRequested(
            turn_id="t1", call_id="c2", kind="command", title="rm -rf build", reason="asks"
        ),
        ApprovalDecided(turn_id="t1", call_id="c2", decision="denied", comment="no"),
        Usage(turn_id="t1", provider="anthropic", model="m", input_tokens=900, cost_usd=0.25),
        TurnFinished(turn_id="t1", status="completed"),
    ]


def test_each_streamed_delta_is_one_small_append_of_escaped_text(macros: Any) -> None:
    view = renderer(macros)
    frames = [view.apply(e) for e in stored(a_turn(200))]
    delta_frames = frames[5:203]  # after the first text delta, which creates the text element
    assert all(len(frame) == 1 and len(frame[0]) < 120 for frame in delta_frames)
    assert all('hx-swap-oob="beforeend:#turn-t1-m1-text"' in frame[0] for frame in delta_frames)
    final = "".join(frames[203])
    assert "<strong>done</strong>" in final and 'id="turn-t1-m1"' in final


def test_tool_output_keeps_its_ansi_colours_as_classes_and_loses_the_escapes(
    macros: Any,
) -> None:
    view = renderer(macros)
    out = "".join(f for e in stored(a_turn(3)) for f in view.apply(e))
    assert "\x1b" not in out and '<span class="ansi-fg-red">red</span>' in out


def test_a_replay_renders_what_the_live_page_ended_with(macros: Any) -> None:
    live, replayed = renderer(macros), renderer(macros)
    for event in stored(a_turn(20)):
        live.apply(event)
        replayed.apply(event, live=False)
    assert str(live.transcript()) == str(replayed.transcript())
    html = str(replayed.transcript())
    assert "decision-denied" in html and "status-completed" in html and "Thinking" in html
    assert replayed.status.cost_usd == pytest.approx(0.25)
    assert replayed.status.context_tokens == 900 and not replayed.status.running


def test_an_event_seen_twice_is_folded_once(macros: Any) -> None:
    view = renderer(macros)
    events = stored(a_turn(2))
    for event in events:
        view.apply(event)
    assert all(view.apply(event) == [] for event in events)


def test_only_the_newest_turns_are_shown(macros: Any) -> None:
    view = renderer(macros)
    events: list[Event] = []
    for n in range(5):
        events += [TurnStarted(turn_id=f"t{n}"), TurnFinished(turn_id=f"t{n}", status="completed")]
    for event in stored(events):
        view.apply(event, live=False)
    html = str(view.transcript(max_turns=2))
    assert "3 earlier turns not shown." in html
    assert 'id="turn-t4"' in html and 'id="turn-t2"' not in html
