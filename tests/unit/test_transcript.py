"""The model's history derived from the event log, and the rules every history must keep."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from codesm.agent import events as ev
from codesm.agent.messages import (
    Message,
    Part,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolResultPart,
)
from codesm.agent.transcript import COMPACTION_PREFIX, build_transcript, validate_transcript
from codesm.errors import TranscriptError

TS = datetime(2026, 1, 1, tzinfo=UTC)


def _log(*events: ev.Event) -> list[ev.StoredEvent]:
    return [
        ev.StoredEvent(session_id="s", seq=i, ts=TS, event=event)
        for i, event in enumerate(events, start=1)
    ]


def _call(call_id: str, name: str = "read", **arguments: Any) -> ToolCallPart:
    return ToolCallPart(call_id=call_id, name=name, arguments=arguments)


def _user(*parts: Part | str) -> Message:
    return Message(
        role="user", parts=[TextPart(text=p) if isinstance(p, str) else p for p in parts]
    )


def _assistant(*parts: Part | str) -> Message:
    return Message(
        role="assistant", parts=[TextPart(text=p) if isinstance(p, str) else p for p in parts]
    )


def _result(call_id: str, content: str, *, is_error: bool = False) -> ToolResultPart:
    return ToolResultPart(call_id=call_id, content=content, is_error=is_error)


def test_a_tool_loop_becomes_alternating_messages_with_results_in_call_order() -> None:
    log = _log(
        ev.TurnStarted(turn_id="t1"),
        ev.UserMessage(turn_id="t1", text="what is in a and b?"),
        ev.AssistantTextDelta(turn_id="t1", text="Reading"),
        ev.AssistantMessage(
            turn_id="t1",
            text="Reading both.",
            thinking=[ThinkingPart(text="need files", signature="sig")],
            tool_calls=[_call("c1", path="a"), _call("c2", path="b")],
        ),
        ev.ToolCallStarted(turn_id="t1", call_id="c1", name="read"),
        ev.ToolCallStarted(turn_id="t1", call_id="c2", name="read"),
        ev.ToolOutputDelta(turn_id="t1", call_id="c2", text="B"),
        ev.ToolCallFinished(turn_id="t1", call_id="c2", content="B"),
        ev.ToolCallFinished(turn_id="t1", call_id="c1", content="no such file", is_error=True),
        ev.Usage(turn_id="t1", provider="p", model="m"),
        ev.AssistantMessage(turn_id="t1", text="a is missing, b says B."),
        ev.TurnFinished(turn_id="t1", status="completed"),
        ev.Title(title="files"),
    )
    assert build_transcript(log) == [
        _user("what is in a and b?"),
        _assistant(
            ThinkingPart(text="need files", signature="sig"),
            "Reading both.",
            _call("c1", path="a"),
            _call("c2", path="b"),
        ),
        _user(_result("c1", "no such file", is_error=True), _result("c2", "B")),
        _assistant("a is missing, b says B."),
    ]


def test_a_prompt_after_interrupted_tools_shares_their_user_message_after_the_results() -> None:
    log = _log(
        ev.UserMessage(turn_id="t1", text="run it"),
        ev.AssistantMessage(turn_id="t1", tool_calls=[_call("c1", "bash")]),
        ev.ToolCallFinished(turn_id="t1", call_id="c1", content="stopped", is_error=True),
        ev.TurnFinished(turn_id="t1", status="cancelled"),
        ev.UserMessage(turn_id="t2", text="try again"),
    )
    transcript = build_transcript(log)
    assert transcript[-1] == _user(_result("c1", "stopped", is_error=True), "try again")
    validate_transcript(transcript)


def test_prompts_without_a_reply_are_merged_into_one_user_message() -> None:
    log = _log(
        ev.UserMessage(turn_id="t1", text="first"),
        ev.TurnFinished(turn_id="t1", status="cancelled"),
        ev.UserMessage(turn_id="t2", text="second"),
    )
    assert build_transcript(log) == [_user("first", "second")]


def test_an_incomplete_message_superseded_by_a_retry_is_dropped() -> None:
    log = _log(
        ev.UserMessage(turn_id="t1", text="hi"),
        ev.AssistantMessage(turn_id="t1", text="Hel", incomplete=True),
        ev.Retry(turn_id="t1", attempt=1, delay_s=0.5),
        ev.AssistantMessage(turn_id="t1", text="Hello!"),
    )
    assert build_transcript(log) == [_user("hi"), _assistant("Hello!")]


def test_a_retry_never_drops_complete_output_that_came_before_it() -> None:
    log = _log(
        ev.UserMessage(turn_id="t1", text="hi"),
        ev.AssistantMessage(turn_id="t1", text="Part one."),
        ev.AssistantMessage(turn_id="t1", text="Part tw", incomplete=True),
        ev.AssistantMessage(turn_id="t1", text="Part two."),
    )
    assert build_transcript(log) == [
        _user("hi"),
        _assistant("Part one.", "Part tw", "Part two."),
    ]


def test_an_incomplete_message_that_ends_a_turn_is_kept() -> None:
    log = _log(
        ev.UserMessage(turn_id="t1", text="hi"),
        ev.AssistantMessage(turn_id="t1", text="Hel", incomplete=True),
        ev.TurnFinished(turn_id="t1", status="incomplete"),
        ev.UserMessage(turn_id="t2", text="go on"),
    )
    assert build_transcript(log) == [_user("hi"), _assistant("Hel"), _user("go on")]


def test_empty_and_thinking_only_messages_are_dropped() -> None:
    log = _log(
        ev.UserMessage(turn_id="t1", text="  "),
        ev.UserMessage(turn_id="t1", text="hi"),
        ev.AssistantMessage(turn_id="t1", thinking=[ThinkingPart(text="hmm")]),
        ev.AssistantMessage(turn_id="t1", text="yo"),
    )
    assert build_transcript(log) == [_user("hi"), _assistant("yo")]


def test_the_last_compaction_replaces_history_and_keeps_the_tail_verbatim() -> None:
    log = _log(
        ev.UserMessage(turn_id="t1", text="old question"),  # 1
        ev.AssistantMessage(turn_id="t1", text="old answer"),  # 2
        ev.UserMessage(turn_id="t2", text="recent question"),  # 3
        ev.AssistantMessage(turn_id="t2", tool_calls=[_call("c1")]),  # 4
        ev.ToolCallFinished(turn_id="t2", call_id="c1", content="data"),  # 5
        ev.Compaction(turn_id="t2", summary="They talked.", keep_from_seq=3),  # 6
        ev.AssistantMessage(turn_id="t2", text="done"),  # 7
    )
    assert build_transcript(log) == [
        _user(COMPACTION_PREFIX + "They talked.", "recent question"),
        _assistant(_call("c1")),
        _user(_result("c1", "data")),
        _assistant("done"),
    ]


def test_a_compaction_without_a_kept_tail_keeps_only_the_summary_and_what_follows() -> None:
    log = _log(
        ev.UserMessage(turn_id="t1", text="old"),
        ev.AssistantMessage(turn_id="t1", text="old answer"),
        ev.Compaction(summary="s1"),
        ev.UserMessage(turn_id="t2", text="new"),
        ev.Compaction(summary="s2"),
    )
    assert build_transcript(log) == [_user(COMPACTION_PREFIX + "s2")]


def test_an_empty_log_gives_an_empty_valid_transcript() -> None:
    assert build_transcript([]) == []
    validate_transcript([])


INVALID: list[tuple[str, list[Message]]] = [
    ("first_not_user", [_assistant("hi")]),
    ("roles_not_alternating", [_user("a"), _user("b")]),
    ("empty_message", [_user("a"), Message(role="assistant", parts=[])]),
    ("empty_text", [_user(" ")]),
    ("part_not_allowed", [_user(_call("c1"))]),
    ("part_not_allowed", [_user("a"), _assistant(_result("c1", "x"))]),
    ("tool_call_without_result", [_user("a"), _assistant(_call("c1"))]),
    (
        "tool_call_without_result",
        [_user("a"), _assistant(_call("c1"), _call("c2")), _user(_result("c1", "x"))],
    ),
    ("tool_result_without_call", [_user(_result("c1", "x"))]),
    ("tool_result_without_call", [_user("a"), _assistant(_call("c1")), _user(_result("c9", "x"))]),
    (
        "duplicate_tool_result",
        [_user("a"), _assistant(_call("c1")), _user(_result("c1", "x"), _result("c1", "y"))],
    ),
    (
        "tool_result_after_text",
        [_user("a"), _assistant(_call("c1")), _user("b", _result("c1", "x"))],
    ),
    (
        "duplicate_call_id",
        [_user("a"), _assistant(_call("c1")), _user(_result("c1", "x")), _assistant(_call("c1"))],
    ),
]


@pytest.mark.parametrize(("rule", "messages"), INVALID, ids=[rule for rule, _ in INVALID])
def test_validate_transcript_names_the_broken_rule(rule: str, messages: list[Message]) -> None:
    with pytest.raises(TranscriptError) as info:
        validate_transcript(messages)
    assert info.value.rule == rule


def test_a_well_formed_tool_loop_is_valid() -> None:
    validate_transcript(
        [
            _user("a"),
            _assistant(ThinkingPart(text="t", signature="s"), "b", _call("c1"), _call("c2")),
            _user(_result("c2", "y"), _result("c1", "x"), "and also"),
            _assistant("done"),
        ]
    )
