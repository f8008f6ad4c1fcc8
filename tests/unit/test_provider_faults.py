"""Every adapter, through its real SDK, against the scripted server's faults."""

from __future__ import annotations

import asyncio
import time

import pytest

from codesm.agent.messages import MalformedToolCall, RetryScheduled, Stop, TextDelta, ToolCall
from codesm.agent.providers.base import RetryPolicy
from codesm.errors import ContextOverflowError, ProviderError, StreamInterrupted
from tests.support.providers import ALL_KINDS, collect
from tests.support.scripted_llm import Fault, ToolCallSpec, Turn

pytestmark = pytest.mark.parametrize("kind", ALL_KINDS)

BIG_TOOL_TURN = Turn(
    text="Reading it.", tool_calls=[ToolCallSpec("read", {"path": "p" * 2000}, id="call_big")]
)


@pytest.mark.parametrize("status", ["429", "500", "529", "408", "409"])
async def test_a_retryable_status_is_retried_and_announced(
    kind, status, scripted_llm, make_adapter
):
    scripted_llm.script(Fault(status), Turn(text="after retry"))
    result = await collect(make_adapter(kind))
    assert result.error is None
    assert result.text == "after retry"
    [retry] = result.of(RetryScheduled)
    assert retry.attempt == 1
    assert len(scripted_llm.completion_requests()) == 2


async def test_retry_after_from_a_429_is_honoured(kind, scripted_llm, make_adapter):
    if kind == "ollama":
        pytest.skip("the ollama client does not expose response headers")
    scripted_llm.script(Fault("429", retry_after=0.2), Turn(text="ok"))
    started = time.monotonic()
    result = await collect(make_adapter(kind))
    assert result.of(RetryScheduled)[0].delay_s == pytest.approx(0.2)
    assert time.monotonic() - started >= 0.2
    assert result.text == "ok"


async def test_retry_after_ms_wins_over_backoff(kind, scripted_llm, make_adapter):
    if kind == "ollama":
        pytest.skip("the ollama client does not expose response headers")
    scripted_llm.script(Fault("529", retry_after_ms=30), Turn(text="ok"))
    result = await collect(make_adapter(kind))
    assert result.of(RetryScheduled)[0].delay_s == pytest.approx(0.03)


async def test_a_connection_reset_before_headers_is_retried(kind, scripted_llm, make_adapter):
    scripted_llm.script(Fault("reset"), Turn(text="second try"))
    result = await collect(make_adapter(kind))
    assert result.text == "second try"
    assert len(result.of(RetryScheduled)) == 1


async def test_retries_stop_after_two_and_the_error_is_retryable(kind, scripted_llm, make_adapter):
    scripted_llm.script(Fault("500"), Fault("500"), Fault("500"), Turn(text="never"))
    result = await collect(make_adapter(kind))
    assert isinstance(result.error, ProviderError)
    assert result.error.retryable and result.error.status == 500
    assert [r.attempt for r in result.of(RetryScheduled)] == [1, 2]
    assert scripted_llm.remaining == 1


@pytest.mark.parametrize("status", ["400", "401", "403", "404", "413", "422"])
async def test_a_client_error_is_not_retried(kind, status, scripted_llm, make_adapter):
    scripted_llm.script(Fault(status, message="nope"), Turn(text="never"))
    result = await collect(make_adapter(kind))
    assert isinstance(result.error, ProviderError)
    assert not result.error.retryable
    assert result.error.status == int(status)
    assert "nope" in str(result.error)
    assert result.of(RetryScheduled) == []
    assert len(scripted_llm.completion_requests()) == 1


async def test_an_auth_failure_names_the_key_to_check(kind, scripted_llm, make_adapter):
    if kind == "ollama":
        pytest.skip("ollama has no key")
    scripted_llm.script(Fault("401", message="invalid x-api-key"))
    result = await collect(make_adapter(kind))
    key = {"anthropic": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY"}.get(kind, "OPENROUTER")
    assert key in str(result.error)


async def test_a_prompt_too_long_is_a_context_overflow(kind, scripted_llm, make_adapter):
    scripted_llm.script(Fault("400", message="prompt is too long: 210000 tokens > 200000 maximum"))
    result = await collect(make_adapter(kind))
    assert isinstance(result.error, ContextOverflowError)


async def test_a_cut_stream_keeps_partial_text_and_drops_the_partial_tool_call(
    kind, scripted_llm, make_adapter
):
    scripted_llm.script(Fault("cut", turn=BIG_TOOL_TURN))
    result = await collect(make_adapter(kind))
    assert isinstance(result.error, StreamInterrupted)
    assert result.error.retryable
    assert result.text == "Reading it."
    assert result.of(ToolCall) == [] and result.of(MalformedToolCall) == []
    assert result.of(Stop) == []


async def test_partial_tool_json_at_stream_end_yields_no_tool_call(
    kind, scripted_llm, make_adapter
):
    scripted_llm.script(Fault("partial_tool", turn=BIG_TOOL_TURN))
    result = await collect(make_adapter(kind))
    assert isinstance(result.error, StreamInterrupted)
    assert result.text == "Reading it."
    assert result.of(ToolCall) == [] and result.of(MalformedToolCall) == []


@pytest.mark.parametrize("fault", ["error_event", "malformed", "no_terminal"])
async def test_a_broken_stream_raises_interrupted_after_the_text_it_got(
    kind, fault, scripted_llm, make_adapter
):
    scripted_llm.script(Fault(fault, turn=BIG_TOOL_TURN))
    result = await collect(make_adapter(kind))
    assert isinstance(result.error, StreamInterrupted), result.error
    assert result.text == "Reading it."
    assert result.of(ToolCall) == [] and result.of(Stop) == []


async def test_a_stalled_stream_hits_the_idle_timeout(kind, scripted_llm, make_adapter):
    scripted_llm.script(Fault("stall", turn=BIG_TOOL_TURN, after_bytes=700, stall_s=5))
    started = time.monotonic()
    result = await collect(make_adapter(kind, idle_timeout_s=0.3))
    assert isinstance(result.error, StreamInterrupted)
    assert "idle" in str(result.error)
    assert time.monotonic() - started < 2
    assert result.of(ToolCall) == []


async def test_a_stall_before_headers_is_retried(kind, scripted_llm, make_adapter):
    scripted_llm.script(Fault("stall", stall_s=5), Turn(text="fresh"))
    result = await collect(make_adapter(kind, idle_timeout_s=0.3))
    assert result.text == "fresh"
    assert len(result.of(RetryScheduled)) == 1


async def test_cancel_stops_a_stream_promptly(kind, scripted_llm, make_adapter):
    scripted_llm.script(Fault("stall", turn=BIG_TOOL_TURN, after_bytes=700, stall_s=30))
    cancel = asyncio.Event()
    provider = make_adapter(kind, idle_timeout_s=20)
    events = []
    started = time.monotonic()
    async for event in provider.stream(_request(), cancel=cancel):
        events.append(event)
        if isinstance(event, TextDelta):
            asyncio.get_running_loop().call_later(0.05, cancel.set)
    assert time.monotonic() - started < 1.5
    assert not any(isinstance(e, Stop | ToolCall) for e in events)


async def test_cancel_during_a_retry_wait_ends_the_stream(kind, scripted_llm, make_adapter):
    scripted_llm.script(Fault("503"), Turn(text="never"))
    cancel = asyncio.Event()
    provider = make_adapter(kind, retry=RetryPolicy(initial_delay_s=30, max_delay_s=30))
    started = time.monotonic()
    events = []
    async for event in provider.stream(_request(), cancel=cancel):
        events.append(event)
        cancel.set()
    assert [type(e) for e in events] == [RetryScheduled]
    assert time.monotonic() - started < 1.5


def _request():
    from tests.support.providers import user_request

    return user_request()
