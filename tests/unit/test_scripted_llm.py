"""The scripted LLM server itself: real wire shapes, request validation, recording, faults."""

from __future__ import annotations

import anthropic
import httpx
import ollama
import openai
import pytest

from tests.support.scripted_llm import Fault, ToolCallSpec, Turn, UsageSpec

USER = {"role": "user", "content": "hi"}


def _post(server, path, body):
    return httpx.post(server.base_url + path, json=body, timeout=5)


async def test_anthropic_non_streaming_responses_parse_in_the_sdk(scripted_llm):
    scripted_llm.script(
        Turn(
            thinking="t",
            text="answer",
            tool_calls=[ToolCallSpec("read", {"path": "x"}, id="toolu_1")],
            usage=UsageSpec(input_tokens=5, cache_read_tokens=7),
        )
    )
    async with anthropic.AsyncAnthropic(api_key="k", base_url=scripted_llm.base_url) as client:
        message = await client.messages.create(
            model="claude-haiku-4-5", max_tokens=10, messages=[USER]
        )
    assert [b.type for b in message.content] == ["thinking", "text", "tool_use"]
    assert message.stop_reason == "tool_use"
    assert (message.usage.input_tokens, message.usage.cache_read_input_tokens) == (5, 7)


async def test_openai_non_streaming_responses_parse_in_the_sdk(scripted_llm):
    scripted_llm.script(Turn(text="answer", tool_calls=[ToolCallSpec("ls", {}, id="call_1")]))
    async with openai.AsyncOpenAI(api_key="k", base_url=scripted_llm.openai_base_url) as client:
        completion = await client.chat.completions.create(model="gpt-5.5", messages=[USER])
    choice = completion.choices[0]
    assert choice.message.content == "answer" and choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls[0].function.arguments == "{}"


async def test_ollama_tags_and_non_streaming_chat_parse_in_the_client(scripted_llm):
    scripted_llm.ollama_models = ["qwen3:8b"]
    scripted_llm.script(Turn(text="local answer", usage=UsageSpec(input_tokens=3, output_tokens=2)))
    client = ollama.AsyncClient(host=scripted_llm.base_url)
    listed = await client.list()
    response = await client.chat(model="qwen3:8b", messages=[USER], stream=False)
    await client._client.aclose()
    assert [m.model for m in listed.models] == ["qwen3:8b"]
    assert response.message.content == "local answer"
    assert (response.prompt_eval_count, response.eval_count) == (3, 2)


def test_an_orphan_tool_result_gets_anthropics_400_error_shape(scripted_llm):
    scripted_llm.script(Turn(text="unused"))
    orphan = {
        "role": "user",
        "content": [{"type": "tool_result", "tool_use_id": "toolu_x", "content": "r"}],
    }
    messages = [USER, {"role": "assistant", "content": "ok"}, orphan]
    response = _post(
        scripted_llm, "/v1/messages", {"model": "m", "max_tokens": 5, "messages": messages}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "error" and body["error"]["type"] == "invalid_request_error"
    assert "unexpected `tool_use_id`" in body["error"]["message"]
    assert scripted_llm.remaining == 1
    assert scripted_llm.requests[-1].body["messages"][2] == orphan


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        ([{"role": "assistant", "content": "hi"}], 'first message must use the "user" role'),
        ([USER, USER], "roles must alternate"),
        (
            [
                USER,
                {
                    "role": "assistant",
                    "content": [{"type": "tool_use", "id": "t1", "name": "a", "input": {}}],
                },
                USER,
            ],
            "`tool_use` ids were found without `tool_result` blocks",
        ),
        (
            [USER, {"role": "assistant", "content": [{"type": "thinking", "thinking": "x"}]}, USER],
            "signature: Field required",
        ),
    ],
)
def test_anthropic_request_rules_are_enforced(scripted_llm, messages, expected):
    response = _post(
        scripted_llm, "/v1/messages", {"model": "m", "max_tokens": 5, "messages": messages}
    )
    assert response.status_code == 400
    assert expected in response.json()["error"]["message"]


def test_an_unanswered_openai_tool_call_gets_openais_400_error_shape(scripted_llm):
    call = {"id": "call_1", "type": "function", "function": {"name": "a", "arguments": "{}"}}
    messages = [USER, {"role": "assistant", "content": None, "tool_calls": [call]}, USER]
    response = _post(scripted_llm, "/v1/chat/completions", {"model": "m", "messages": messages})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and "call_1" in error["message"]
    assert error["param"] == "messages.[2].role"


def test_an_exhausted_script_answers_400_not_a_retryable_error(scripted_llm):
    response = _post(scripted_llm, "/api/chat", {"model": "m", "messages": [USER]})
    assert response.status_code == 400 and "script exhausted" in response.json()["error"]


def test_a_429_fault_sends_retry_after_headers(scripted_llm):
    scripted_llm.script(Fault("429", retry_after=1.5, retry_after_ms=1500))
    response = _post(
        scripted_llm, "/v1/messages", {"model": "m", "max_tokens": 5, "messages": [USER]}
    )
    assert response.status_code == 429
    assert response.headers["retry-after"] == "1.5" and response.headers["retry-after-ms"] == "1500"
    assert response.json()["error"]["type"] == "rate_limit_error"


def test_reset_closes_the_connection_before_any_header(scripted_llm):
    scripted_llm.script(Fault("reset"))
    with pytest.raises(httpx.RemoteProtocolError):
        _post(scripted_llm, "/v1/chat/completions", {"model": "m", "messages": [USER]})


def test_a_cut_drops_the_connection_after_the_given_bytes(scripted_llm):
    scripted_llm.script(Fault("cut", after_bytes=40))
    received = bytearray()
    body = {"model": "m", "messages": [USER], "stream": True}
    url = scripted_llm.openai_base_url + "/chat/completions"
    with pytest.raises(httpx.RemoteProtocolError), httpx.stream("POST", url, json=body) as r:
        for piece in r.iter_raw():
            received += piece
    assert len(received) == 40


def test_chunk_boundaries_change_the_framing_but_not_the_bytes(scripted_llm):
    body = {"model": "m", "max_tokens": 5, "messages": [USER], "stream": True}
    turn = Turn(
        text="same bytes either way", tool_calls=[ToolCallSpec("a", {"k": "v"}, id="toolu_1")]
    )

    def fetch() -> bytes:
        with httpx.stream("POST", scripted_llm.base_url + "/v1/messages", json=body) as r:
            return r.read()

    scripted_llm.script(turn, turn)
    plain = fetch()
    scripted_llm.chunk_at = (1, 2, 3, 50, 51, 400)
    chunked = fetch()
    strip = [line for line in plain.split(b"\n") if b'"id"' not in line]
    assert strip == [line for line in chunked.split(b"\n") if b'"id"' not in line]
    assert plain.endswith(b'event: message_stop\ndata: {"type": "message_stop"}\n\n')
