"""The Anthropic adapter through the real SDK against the scripted server."""

from __future__ import annotations

from codesm.agent.messages import (
    MalformedToolCall,
    Message,
    Stop,
    TextPart,
    ThinkingDelta,
    ThinkingDone,
    ThinkingPart,
    ToolCall,
    ToolCallPart,
    ToolResultPart,
    ToolSpec,
    UsageReport,
)
from codesm.errors import ProviderError
from tests.support.providers import collect, user_request
from tests.support.scripted_llm import ToolCallSpec, Turn, UsageSpec


async def test_text_streams_as_deltas_and_ends_with_end_turn(scripted_llm, make_adapter):
    scripted_llm.script(Turn(text="Hello from the scripted model.", delta_size=4))
    result = await collect(make_adapter("anthropic"))
    assert result.error is None
    assert result.text == "Hello from the scripted model."
    assert len([e for e in result.events if e.type == "text_delta"]) == 8
    assert result.events[-1] == Stop(reason="end_turn")


async def test_thinking_is_streamed_and_closed_with_its_signature(scripted_llm, make_adapter):
    scripted_llm.script(Turn(thinking="Consider the file first.", signature="sig-1", text="Done."))
    result = await collect(make_adapter("anthropic"), user_request(thinking_budget=2048))
    assert "".join(e.text for e in result.of(ThinkingDelta)) == "Consider the file first."
    assert result.of(ThinkingDone) == [
        ThinkingDone(text="Consider the file first.", signature="sig-1")
    ]
    assert result.text == "Done."


async def test_thinking_is_enabled_with_a_budget_on_older_models(scripted_llm, make_adapter):
    scripted_llm.script(Turn(text="ok"))
    request = user_request(model="claude-haiku-4-5", thinking_budget=2048, max_tokens=4096)
    await collect(make_adapter("anthropic"), request)
    body = scripted_llm.completion_requests()[0].body
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 2048}


async def test_thinking_is_adaptive_on_models_that_deprecate_budgets(scripted_llm, make_adapter):
    scripted_llm.script(Turn(text="ok"))
    await collect(make_adapter("anthropic"), user_request(thinking_budget=2048))
    assert scripted_llm.completion_requests()[0].body["thinking"] == {"type": "adaptive"}


async def test_tool_arguments_split_across_deltas_arrive_whole(scripted_llm, make_adapter):
    args = {"path": "src/app.py", "lines": [1, 2, 3], "note": "ünïcode"}
    scripted_llm.script(
        Turn(
            text="Reading.",
            tool_calls=[
                ToolCallSpec("read", args, id="toolu_a"),
                ToolCallSpec("ls", {}, id="toolu_b"),
            ],
            delta_size=2,
        )
    )
    result = await collect(make_adapter("anthropic"))
    assert result.tool_calls == [
        ToolCall(call_id="toolu_a", name="read", arguments=args),
        ToolCall(call_id="toolu_b", name="ls", arguments={}),
    ]
    assert result.events[-1] == Stop(reason="tool_use")


async def test_complete_but_unparseable_tool_json_is_a_malformed_tool_call(
    scripted_llm, make_adapter
):
    scripted_llm.script(Turn(tool_calls=[ToolCallSpec("read", '{"path": "a.py",,}', id="toolu_m")]))
    result = await collect(make_adapter("anthropic"))
    [bad] = result.of(MalformedToolCall)
    assert bad.call_id == "toolu_m" and bad.raw_arguments == '{"path": "a.py",,}'
    assert result.tool_calls == []


async def test_usage_is_normalised_with_cache_tokens(scripted_llm, make_adapter):
    usage = UsageSpec(
        input_tokens=100, output_tokens=50, cache_read_tokens=2000, cache_write_tokens=300
    )
    scripted_llm.script(Turn(text="ok", usage=usage))
    result = await collect(make_adapter("anthropic"))
    assert result.of(UsageReport) == [
        UsageReport(
            input_tokens=100, output_tokens=50, cache_read_tokens=2000, cache_write_tokens=300
        )
    ]


async def test_system_prompt_and_last_tool_carry_cache_breakpoints(scripted_llm, make_adapter):
    scripted_llm.script(Turn(text="ok"))
    tools = [ToolSpec(name=n, description=n, input_schema={"type": "object"}) for n in ("a", "b")]
    await collect(make_adapter("anthropic"), user_request(tools=tools))
    request = scripted_llm.completion_requests()[0]
    assert request.body["system"] == [
        {"type": "text", "text": "You are a test.", "cache_control": {"type": "ephemeral"}}
    ]
    assert "cache_control" not in request.body["tools"][0]
    assert request.body["tools"][1]["cache_control"] == {"type": "ephemeral"}
    assert "sk-ant-test" in (
        request.headers.get("x-api-key", "") + request.headers["authorization"]
    )
    assert request.headers["x-stainless-retry-count"] == "0"
    assert request.body["stream"] is True


async def test_thinking_signatures_and_tool_results_round_trip(scripted_llm, make_adapter):
    history = [
        Message(role="user", parts=[TextPart(text="read a.py")]),
        Message(
            role="assistant",
            parts=[
                ThinkingPart(text="I should read it.", signature="sig-keep"),
                TextPart(text="Reading."),
                ToolCallPart(call_id="toolu_1", name="read", arguments={"path": "a.py"}),
            ],
        ),
        Message(
            role="user",
            parts=[
                TextPart(text="also this"),
                ToolResultPart(call_id="toolu_1", content="print(1)"),
            ],
        ),
    ]
    scripted_llm.script(Turn(text="It prints 1."))
    result = await collect(
        make_adapter("anthropic"), user_request(messages=history, thinking_budget=2048)
    )
    assert result.error is None and result.text == "It prints 1."
    sent = scripted_llm.completion_requests()[0].body["messages"]
    assert sent[1]["content"][0] == {
        "type": "thinking",
        "thinking": "I should read it.",
        "signature": "sig-keep",
    }
    assert [b["type"] for b in sent[2]["content"]] == ["tool_result", "text"]


async def test_an_orphan_tool_result_is_rejected_by_the_server_as_a_clear_error(
    scripted_llm, make_adapter
):
    history = [
        Message(role="user", parts=[TextPart(text="hi")]),
        Message(role="assistant", parts=[TextPart(text="hello")]),
        Message(role="user", parts=[ToolResultPart(call_id="toolu_ghost", content="x")]),
    ]
    scripted_llm.script(Turn(text="never"))
    result = await collect(make_adapter("anthropic"), user_request(messages=history))
    assert isinstance(result.error, ProviderError)
    assert result.error.status == 400 and not result.error.retryable
    assert "toolu_ghost" in str(result.error)
    assert scripted_llm.remaining == 1


async def test_count_tokens_asks_the_api(scripted_llm, make_adapter):
    count = await make_adapter("anthropic").count_tokens(user_request())
    assert count > 0
    assert scripted_llm.requests[-1].path == "/v1/messages/count_tokens"
