"""The Ollama adapter through the official client against the scripted server."""

from __future__ import annotations

from codesm.agent.messages import (
    Message,
    Stop,
    TextPart,
    ThinkingDone,
    ToolCallPart,
    ToolResultPart,
    UsageReport,
)
from tests.support.providers import collect, user_request
from tests.support.scripted_llm import ToolCallSpec, Turn, UsageSpec


async def test_thinking_text_and_tool_calls_stream_from_ndjson(scripted_llm, make_adapter):
    turn = Turn(
        thinking="Check it.",
        text="Reading.",
        tool_calls=[ToolCallSpec("read", {"path": "a.py"})],
        usage=UsageSpec(input_tokens=33, output_tokens=11),
    )
    scripted_llm.script(turn)
    result = await collect(
        make_adapter("ollama"), user_request(model="qwen3:8b", thinking_budget=1)
    )
    assert result.of(ThinkingDone) == [ThinkingDone(text="Check it.")]
    assert result.text == "Reading."
    [call] = result.tool_calls
    assert (call.name, call.arguments) == ("read", {"path": "a.py"})
    assert call.call_id.startswith("call_")
    assert result.of(UsageReport) == [UsageReport(input_tokens=33, output_tokens=11)]
    assert result.events[-1] == Stop(reason="tool_use")
    body = scripted_llm.completion_requests()[0].body
    assert body["think"] is True and body["stream"] is True
    assert body["tools"][0]["function"]["name"] == "read"
    assert body["options"]["num_predict"] == 8192


async def test_tool_results_carry_the_tool_name(scripted_llm, make_adapter):
    history = [
        Message(role="user", parts=[TextPart(text="go")]),
        Message(role="assistant", parts=[ToolCallPart(call_id="c1", name="read", arguments={})]),
        Message(role="user", parts=[ToolResultPart(call_id="c1", content="contents")]),
    ]
    scripted_llm.script(Turn(text="fine"))
    result = await collect(make_adapter("ollama"), user_request(messages=history))
    assert result.text == "fine"
    sent = scripted_llm.completion_requests()[0].body["messages"]
    assert sent[-1] == {"role": "tool", "tool_name": "read", "content": "contents"}
    assert sent[-2]["tool_calls"] == [{"function": {"name": "read", "arguments": {}}}]
