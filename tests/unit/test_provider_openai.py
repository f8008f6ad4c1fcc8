"""The OpenAI adapter (and its OpenRouter, Gemini and local dialects) through the real SDK."""

from __future__ import annotations

from codesm.agent.messages import (
    MalformedToolCall,
    Message,
    Stop,
    TextPart,
    ThinkingDelta,
    ThinkingDone,
    ToolCall,
    ToolCallPart,
    ToolResultPart,
    UsageReport,
)
from codesm.agent.providers.openai import COMPATIBLE, GEMINI, OpenAIProvider
from codesm.errors import ProviderError
from tests.support.providers import FAST_RETRY, collect, user_request
from tests.support.scripted_llm import ToolCallSpec, Turn, UsageSpec


async def test_text_streams_and_usage_comes_from_the_last_chunk(scripted_llm, make_adapter):
    scripted_llm.script(
        Turn(text="Plain answer.", usage=UsageSpec(input_tokens=40, output_tokens=9))
    )
    result = await collect(make_adapter("openai"), user_request(model="gpt-5.5"))
    assert result.text == "Plain answer."
    assert result.of(UsageReport) == [UsageReport(input_tokens=40, output_tokens=9)]
    assert result.events[-1] == Stop(reason="end_turn")
    body = scripted_llm.completion_requests()[0].body
    assert body["stream_options"] == {"include_usage": True}
    assert body["max_completion_tokens"] == 8192


async def test_tool_calls_are_assembled_by_index_across_chunks(scripted_llm, make_adapter):
    calls = [
        ToolCallSpec("read", {"path": "a.py", "limit": 20}, id="call_1"),
        ToolCallSpec("grep", {"pattern": "def (\\w+)"}, id="call_2"),
    ]
    scripted_llm.script(Turn(text="Two things.", tool_calls=calls, delta_size=3))
    result = await collect(make_adapter("openai"))
    assert result.tool_calls == [
        ToolCall(call_id="call_1", name="read", arguments={"path": "a.py", "limit": 20}),
        ToolCall(call_id="call_2", name="grep", arguments={"pattern": "def (\\w+)"}),
    ]
    assert result.events[-1] == Stop(reason="tool_use")


async def test_empty_tool_arguments_mean_no_arguments_and_bad_ones_are_malformed(
    scripted_llm, make_adapter
):
    calls = [ToolCallSpec("ls", "", id="call_e"), ToolCallSpec("read", "[1, 2]", id="call_x")]
    scripted_llm.script(Turn(tool_calls=calls))
    result = await collect(make_adapter("openai"))
    assert result.tool_calls == [ToolCall(call_id="call_e", name="ls", arguments={})]
    [bad] = result.of(MalformedToolCall)
    assert bad.call_id == "call_x" and "JSON object" in bad.error


async def test_reasoning_content_becomes_thinking_and_reasoning_tokens(scripted_llm, make_adapter):
    usage = UsageSpec(input_tokens=10, output_tokens=30, reasoning_tokens=20, cache_read_tokens=5)
    scripted_llm.script(Turn(thinking="Let me reason.", text="Answer.", usage=usage))
    result = await collect(make_adapter("openai"), user_request(thinking_budget=8000))
    assert "".join(e.text for e in result.of(ThinkingDelta)) == "Let me reason."
    assert result.of(ThinkingDone) == [ThinkingDone(text="Let me reason.")]
    assert result.of(UsageReport) == [
        UsageReport(input_tokens=10, output_tokens=30, cache_read_tokens=5, reasoning_tokens=20)
    ]
    assert scripted_llm.completion_requests()[0].body["reasoning_effort"] == "medium"


async def test_tool_results_are_sent_as_tool_messages_after_their_call(scripted_llm, make_adapter):
    history = [
        Message(role="user", parts=[TextPart(text="read it")]),
        Message(
            role="assistant",
            parts=[ToolCallPart(call_id="call_9", name="read", arguments={"path": "a"})],
        ),
        Message(
            role="user",
            parts=[ToolResultPart(call_id="call_9", content="data"), TextPart(text="and?")],
        ),
    ]
    scripted_llm.script(Turn(text="ok"))
    result = await collect(make_adapter("openai"), user_request(messages=history))
    assert result.error is None
    sent = scripted_llm.completion_requests()[0].body["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "tool", "user"]
    assert sent[2]["tool_calls"][0]["function"] == {"name": "read", "arguments": '{"path": "a"}'}
    assert sent[3] == {"role": "tool", "tool_call_id": "call_9", "content": "data"}


async def test_an_orphan_tool_message_is_rejected_with_a_400(scripted_llm, make_adapter):
    history = [
        Message(role="user", parts=[TextPart(text="hi")]),
        Message(role="assistant", parts=[TextPart(text="hello")]),
        Message(role="user", parts=[ToolResultPart(call_id="call_ghost", content="x")]),
    ]
    result = await collect(make_adapter("openai"), user_request(messages=history))
    assert isinstance(result.error, ProviderError) and result.error.status == 400
    assert "preceeding message with 'tool_calls'" in str(result.error)


async def test_openrouter_sends_its_headers_and_its_reported_cost_wins(scripted_llm, make_adapter):
    usage = UsageSpec(
        input_tokens=100, output_tokens=10, cache_read_tokens=50, cache_write_tokens=25, cost=0.0123
    )
    scripted_llm.script(Turn(thinking="hm", text="ok", usage=usage))
    request = user_request(model="anthropic/claude-sonnet-5.5", thinking_budget=2048)
    result = await collect(make_adapter("openrouter"), request)
    assert result.of(UsageReport) == [
        UsageReport(
            input_tokens=100,
            output_tokens=10,
            cache_read_tokens=50,
            cache_write_tokens=25,
            reported_cost_usd=0.0123,
        )
    ]
    assert result.of(ThinkingDone) == [ThinkingDone(text="hm")]
    recorded = scripted_llm.completion_requests()[0]
    assert recorded.path == "/api/v1/chat/completions"
    assert recorded.headers["x-openrouter-title"] == "codesm"
    assert recorded.headers["http-referer"]
    assert recorded.body["reasoning"] == {"max_tokens": 2048}
    assert recorded.body["max_tokens"] == 8192


async def test_gemini_and_local_dialects_use_max_tokens(scripted_llm):
    for dialect in (GEMINI, COMPATIBLE):
        provider = OpenAIProvider(
            api_key=None, base_url=scripted_llm.openai_base_url, dialect=dialect, retry=FAST_RETRY
        )
        scripted_llm.script(Turn(text="hi"))
        result = await collect(
            provider, user_request(model="gemini-2.5-flash", thinking_budget=1000)
        )
        await provider.aclose()
        assert result.text == "hi"
        body = scripted_llm.completion_requests()[0].body
        assert body["max_tokens"] == 8192 and "max_completion_tokens" not in body
        assert ("reasoning_effort" in body) == (dialect is GEMINI)
