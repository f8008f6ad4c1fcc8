"""Anthropic Messages API adapter on the official SDK: streaming, tool use, extended thinking with
signatures sent back unchanged, prompt caching of the system prompt and the tools."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, cast

import anthropic
import httpx2

from codesm.agent.messages import (
    MalformedToolCall,
    Message,
    ProviderEvent,
    ProviderRequest,
    Stop,
    StopReason,
    TextDelta,
    ThinkingDelta,
    ThinkingDone,
    ToolCall,
    UsageReport,
)
from codesm.agent.providers.base import (
    DEFAULT_IDLE_TIMEOUT_S,
    Cancelled,
    Failure,
    Opened,
    RetryPolicy,
    http_error_message,
    is_context_overflow,
    open_with_retries,
    parse_retry_after,
    parse_tool_arguments,
    status_is_retryable,
    wait_for_next,
)
from codesm.errors import ContextOverflowError, ProviderError, StreamInterrupted

_STOP_REASONS: dict[str, StopReason] = {
    "end_turn": "end_turn",
    "tool_use": "tool_use",
    "max_tokens": "max_tokens",
    "model_context_window_exceeded": "max_tokens",
    "stop_sequence": "stop_sequence",
    "refusal": "refusal",
}
_EPHEMERAL = {"type": "ephemeral"}
_ADAPTIVE_THINKING_PREFIXES = (
    "claude-opus-4-6",
    "claude-opus-4-7",
    "claude-opus-4-8",
    "claude-sonnet-4-6",
    "claude-opus-5",
    "claude-sonnet-5",
    "claude-haiku-5",
    "claude-fable-5",
    "claude-mythos-5",
)


def build_messages(messages: list[Message]) -> list[dict[str, Any]]:
    """Messages in the Anthropic shape; tool results first in their user message, empty text and
    unsigned thinking dropped (the API rejects both)."""
    out: list[dict[str, Any]] = []
    for message in messages:
        results: list[dict[str, Any]] = []
        blocks: list[dict[str, Any]] = []
        for part in message.parts:
            match part.type:
                case "text":
                    if part.text:
                        blocks.append({"type": "text", "text": part.text})
                case "thinking":
                    if part.signature:
                        blocks.append(
                            {"type": "thinking", "thinking": part.text, "signature": part.signature}
                        )
                case "tool_call":
                    blocks.append(
                        {
                            "type": "tool_use",
                            "id": part.call_id,
                            "name": part.name,
                            "input": part.arguments,
                        }
                    )
                case "tool_result":
                    result: dict[str, Any] = {
                        "type": "tool_result",
                        "tool_use_id": part.call_id,
                        "content": part.content,
                    }
                    if part.is_error:
                        result["is_error"] = True
                    results.append(result)
        out.append({"role": message.role, "content": results + blocks})
    return out


def build_params(request: ProviderRequest) -> dict[str, Any]:
    """Keyword arguments for `messages.create`, with cache breakpoints on system and last tool."""
    params: dict[str, Any] = {
        "model": request.model,
        "max_tokens": request.max_tokens,
        "messages": build_messages(request.messages),
    }
    if request.system:
        params["system"] = [{"type": "text", "text": request.system, "cache_control": _EPHEMERAL}]
    if request.tools:
        tools: list[dict[str, Any]] = [
            {"name": t.name, "description": t.description, "input_schema": t.input_schema}
            for t in request.tools
        ]
        tools[-1]["cache_control"] = _EPHEMERAL
        params["tools"] = tools
    if request.thinking_budget:
        if uses_adaptive_thinking(request.model):
            params["thinking"] = {"type": "adaptive"}
        else:
            params["thinking"] = {"type": "enabled", "budget_tokens": request.thinking_budget}
    return params


def uses_adaptive_thinking(model: str) -> bool:
    """Models for which the SDK deprecates `thinking.type=enabled` in favour of `adaptive`."""
    return model.startswith(_ADAPTIVE_THINKING_PREFIXES)


@dataclass
class _Block:
    kind: str
    call_id: str = ""
    name: str = ""
    chunks: list[str] = field(default_factory=list)
    signature: str | None = None


@dataclass
class _StreamState:
    blocks: dict[int, _Block] = field(default_factory=dict)
    tool_calls: list[ToolCall | MalformedToolCall] = field(default_factory=list)
    usage: UsageReport | None = None
    stop_reason: str | None = None
    finished: bool = False


class AnthropicProvider:
    """`Provider` for the Anthropic Messages API (or any server speaking it, by `base_url`)."""

    name = "anthropic"

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | None = None,
        retry: RetryPolicy | None = None,
        idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S,
        default_headers: dict[str, str] | None = None,
    ) -> None:
        self._retry = retry or RetryPolicy()
        self._idle_timeout_s = idle_timeout_s
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key,
            base_url=base_url,
            max_retries=0,
            timeout=httpx2.Timeout(idle_timeout_s * 2, connect=30.0),
            default_headers=default_headers,
        )

    async def aclose(self) -> None:
        await self._client.close()

    async def count_tokens(self, request: ProviderRequest) -> int:
        """Input tokens the request would use (the API's pre-flight count)."""
        params = build_params(request)
        params.pop("max_tokens")
        try:
            result = await self._client.messages.count_tokens(**params)
        except anthropic.APIError as exc:
            failure = self._classify(exc)
            raise (failure.error if failure else exc) from exc
        return result.input_tokens

    async def stream(
        self, request: ProviderRequest, *, cancel: asyncio.Event | None = None
    ) -> AsyncIterator[ProviderEvent]:
        params = build_params(request)

        async def open_stream() -> anthropic.AsyncStream[Any]:
            create = cast(Any, self._client.messages.create)
            return cast(anthropic.AsyncStream[Any], await create(**params, stream=True))

        response: anthropic.AsyncStream[Any] | None = None
        try:
            async for item in open_with_retries(
                open_stream,
                classify=self._classify,
                policy=self._retry,
                cancel=cancel,
                timeout_s=self._idle_timeout_s,
            ):
                if isinstance(item, Opened):
                    response = item.value
                else:
                    yield item
        except Cancelled:
            return
        assert response is not None
        state = _StreamState()
        try:
            async for event in self._read(response, state, cancel):
                yield event
        except Cancelled:
            return
        finally:
            with contextlib.suppress(Exception):
                await response.close()
        for call in state.tool_calls:
            yield call
        if state.usage is not None:
            yield state.usage
        yield Stop(reason=_STOP_REASONS.get(state.stop_reason or "", "other"))

    async def _read(
        self,
        response: anthropic.AsyncStream[Any],
        state: _StreamState,
        cancel: asyncio.Event | None,
    ) -> AsyncIterator[ProviderEvent]:
        iterator = response.__aiter__()
        try:
            while not state.finished:
                try:
                    event = await wait_for_next(
                        iterator.__anext__(), cancel=cancel, timeout_s=self._idle_timeout_s
                    )
                except StopAsyncIteration:
                    raise StreamInterrupted(
                        "anthropic stream ended before message_stop", provider=self.name
                    ) from None
                for out in self._handle(event, state):
                    yield out
        except TimeoutError:
            if state.usage is not None:
                yield state.usage
            raise StreamInterrupted(
                f"anthropic stream idle for {self._idle_timeout_s:g} s", provider=self.name
            ) from None
        except (anthropic.APIError, httpx2.HTTPError, ValueError) as exc:
            if state.usage is not None:
                yield state.usage
            raise StreamInterrupted(
                f"anthropic stream broke: {_describe(exc)}", provider=self.name
            ) from exc
        except StreamInterrupted:
            if state.usage is not None:
                yield state.usage
            raise

    def _handle(self, event: Any, state: _StreamState) -> list[ProviderEvent]:
        match event.type:
            case "message_start":
                usage = event.message.usage
                state.usage = UsageReport(
                    input_tokens=usage.input_tokens or 0,
                    output_tokens=usage.output_tokens or 0,
                    cache_read_tokens=usage.cache_read_input_tokens or 0,
                    cache_write_tokens=usage.cache_creation_input_tokens or 0,
                )
            case "content_block_start":
                block = event.content_block
                state.blocks[event.index] = _Block(
                    kind=block.type,
                    call_id=getattr(block, "id", ""),
                    name=getattr(block, "name", ""),
                )
                if block.type == "text" and block.text:
                    return [TextDelta(text=block.text)]
            case "content_block_delta":
                return self._delta(event, state)
            case "content_block_stop":
                done = state.blocks.get(event.index)
                if done is None:
                    return []
                text = "".join(done.chunks)
                if done.kind == "thinking":
                    return [ThinkingDone(text=text, signature=done.signature)]
                if done.kind == "tool_use":
                    state.tool_calls.append(parse_tool_arguments(done.call_id, done.name, text))
            case "message_delta":
                state.stop_reason = event.delta.stop_reason
                state.usage = _merge_delta_usage(state.usage or UsageReport(), event.usage)
            case "message_stop":
                state.finished = True
        return []

    def _delta(self, event: Any, state: _StreamState) -> list[ProviderEvent]:
        block = state.blocks.get(event.index)
        delta = event.delta
        if block is None:
            return []
        match delta.type:
            case "text_delta":
                return [TextDelta(text=delta.text)] if delta.text else []
            case "thinking_delta":
                block.chunks.append(delta.thinking)
                return [ThinkingDelta(text=delta.thinking)] if delta.thinking else []
            case "signature_delta":
                block.signature = (block.signature or "") + delta.signature
            case "input_json_delta":
                block.chunks.append(delta.partial_json)
        return []

    def _classify(self, exc: BaseException) -> Failure | None:
        if isinstance(exc, anthropic.APIStatusError):
            status = exc.status_code
            detail = exc.api_message or exc.message
            if is_context_overflow(status, detail):
                return Failure(ContextOverflowError(detail, status=status, provider=self.name))
            headers = exc.response.headers
            error = ProviderError(
                http_error_message(self.name, status, detail, "ANTHROPIC_API_KEY"),
                retryable=status_is_retryable(status, headers),
                status=status,
                provider=self.name,
            )
            return Failure(error, parse_retry_after(headers))
        if isinstance(exc, anthropic.APIConnectionError | httpx2.HTTPError | TimeoutError):
            message = f"anthropic connection failed: {_describe(exc)}"
            return Failure(ProviderError(message, retryable=True, provider=self.name))
        return None


def _merge_delta_usage(usage: UsageReport, delta: Any) -> UsageReport:
    """`message_delta` usage is cumulative; fields it leaves out keep their earlier values."""
    details = getattr(delta, "output_tokens_details", None)
    return UsageReport(
        input_tokens=_pick(delta.input_tokens, usage.input_tokens),
        output_tokens=_pick(delta.output_tokens, usage.output_tokens),
        cache_read_tokens=_pick(delta.cache_read_input_tokens, usage.cache_read_tokens),
        cache_write_tokens=_pick(delta.cache_creation_input_tokens, usage.cache_write_tokens),
        reasoning_tokens=_pick(getattr(details, "thinking_tokens", None), usage.reasoning_tokens),
    )


def _pick(new: int | None, old: int) -> int:
    return old if new is None else new


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
