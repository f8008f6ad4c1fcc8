from __future__ import annotations

import json
from pathlib import Path

from codesm.agent.compaction import (
    PRUNED_TOOL_OUTPUT,
    estimate_tokens,
    needs_compaction,
    prune_tool_output,
)
from codesm.agent.events import Compaction
from codesm.agent.messages import Message, TextPart, ToolCallPart, ToolResultPart
from codesm.agent.ops import Compact
from codesm.agent.providers.registry import ModelInfo
from codesm.agent.transcript import validate_transcript
from tests.support.agent_harness import agent_harness
from tests.support.scripted_llm import Fault, ScriptedLLMServer, ToolCallSpec, Turn, UsageSpec

TINY = [ModelInfo("claude-tiny", "anthropic", context_window=4000, max_output=1000)]


def test_needs_compaction_keeps_room_for_the_output() -> None:
    assert not needs_compaction(2000, context_window=4000, max_output=1000)
    assert needs_compaction(2600, context_window=4000, max_output=1000)


def test_estimate_grows_with_the_history() -> None:
    short = [Message(role="user", parts=[TextPart(text="hi")])]
    long = [Message(role="user", parts=[TextPart(text="x" * 4000)])]
    assert estimate_tokens("", long) > estimate_tokens("", short) + 900


def test_pruning_keeps_only_the_newest_tool_results() -> None:
    messages = []
    for i in range(6):
        messages.append(
            Message(
                role="assistant", parts=[ToolCallPart(call_id=f"c{i}", name="ls", arguments={})]
            )
        )
        messages.append(
            Message(role="user", parts=[ToolResultPart(call_id=f"c{i}", content=f"out {i}")])
        )
    pruned = prune_tool_output(messages, keep_recent=2)
    contents = [p.content for m in pruned for p in m.parts if isinstance(p, ToolResultPart)]
    assert contents == [PRUNED_TOOL_OUTPUT] * 4 + ["out 4", "out 5"]


async def test_history_is_compacted_before_it_overflows_the_window(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(text="noted", usage=UsageSpec(input_tokens=2900, output_tokens=5)),
        Turn(text="SUMMARY: the user pasted a long log about the parser."),
        Turn(text="answer after compaction"),
    )
    async with agent_harness(tmp_path, scripted_llm, models=TINY) as h:
        await h.agent.run_turn("here is a long log: " + "line of log text " * 600)
        outcome = await h.agent.run_turn("what was it about?")
        events = await h.events()
        history = await h.agent.history()
    assert outcome.text == "answer after compaction"
    compactions = [s.event for s in events if isinstance(s.event, Compaction)]
    assert len(compactions) == 1 and "SUMMARY" in compactions[0].summary
    final_request = json.dumps(scripted_llm.completion_requests()[2].body["messages"])
    assert "SUMMARY: the user pasted" in final_request
    assert "line of log text" not in final_request
    assert "what was it about?" in final_request
    validate_transcript(history)


async def test_a_provider_overflow_error_compacts_once_and_retries(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(text="first"),
        Fault("400", message="prompt is too long: 250000 tokens > 200000 maximum"),
        Turn(text="SUMMARY of the first turn"),
        Turn(text="fits now"),
    )
    async with agent_harness(tmp_path, scripted_llm) as h:
        await h.agent.run_turn("first question")
        outcome = await h.agent.run_turn("second question")
        types = await h.types()
    assert outcome.status == "completed" and outcome.text == "fits now"
    assert types.count("compaction") == 1


async def test_compaction_keeps_the_current_turn_tool_calls_with_their_results(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(text="ok"),
        Turn(tool_calls=[ToolCallSpec("ls", {"path": "."})]),
        Fault("400", message="prompt is too long"),
        Turn(text="SUMMARY"),
        Turn(text="done"),
    )
    async with agent_harness(tmp_path, scripted_llm) as h:
        await h.agent.run_turn("one")
        outcome = await h.agent.run_turn("two")
        history = await h.agent.history()
    assert outcome.status == "completed"
    validate_transcript(history)
    last = json.dumps(scripted_llm.completion_requests()[-1].body["messages"])
    assert "tool_result" in last and "SUMMARY" in last


async def test_compact_op_summarises_on_request(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(Turn(text="first"), Turn(text="SUMMARY on request"), Turn(text="after"))
    async with agent_harness(tmp_path, scripted_llm) as h:
        await h.agent.run_turn("hello")
        await h.agent.handle(Compact(instructions="focus on names"))
        await h.agent.run_turn("next")
        types = await h.types()
    assert types.count("compaction") == 1
    summary_request = json.dumps(scripted_llm.completion_requests()[1].body["messages"])
    assert "focus on names" in summary_request
    assert "SUMMARY on request" in json.dumps(scripted_llm.completion_requests()[2].body)


async def test_a_second_overflow_after_compaction_ends_the_turn_with_an_error(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(text="first"),
        Fault("400", message="prompt is too long"),
        Turn(text="SUMMARY"),
        Fault("400", message="prompt is too long"),
    )
    async with agent_harness(tmp_path, scripted_llm) as h:
        await h.agent.run_turn("first")
        outcome = await h.agent.run_turn("second")
    assert outcome.status == "error"
