"""OpenAI Chat Completions adapter on the official SDK. The same adapter serves OpenRouter, Google
Gemini's OpenAI-compatible endpoint and any OpenAI-compatible server (llama.cpp, vLLM, LM Studio,
Ollama's /v1) by base URL; `OpenAIDialect` holds what differs between them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import httpx2
import openai

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

OPENROUTER_BASE_URL = "https://openrouter.ai/api/v1"
GEMINI_BASE_URL = "https://generativelanguage.googleapis.com/v1beta/openai/"

_FINISH_REASONS: dict[str, StopReason] = {
    "stop": "end_turn",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "length": "max_tokens",
    "content_filter": "refusal",
}


@dataclass(frozen=True)
class OpenAIDialect:
    """How one OpenAI-compatible service differs from api.openai.com."""

    name: str = "openai"
    key_env: str | None = "OPENAI_API_KEY"
    max_tokens_param: Literal["max_tokens", "max_completion_tokens"] = "max_completion_tokens"
    reasoning: Literal["effort", "openrouter", "none"] = "effort"
    headers: dict[str, str] = field(default_factory=dict)


OPENAI = OpenAIDialect()
OPENROUTER = OpenAIDialect(
    name="openrouter",
    key_env="OPENROUTER_API_KEY",
    max_tokens_param="max_tokens",
    reasoning="openrouter",
    headers={"HTTP-Referer": "https://github.com/codesm/codesm", "X-OpenRouter-Title": "codesm"},
)
GEMINI = OpenAIDialect(name="gemini", key_env="GEMINI_API_KEY", max_tokens_param="max_tokens")
COMPATIBLE = OpenAIDialect(
    name="openai-compatible", key_env=None, max_tokens_param="max_tokens", reasoning="none"
)


def build_messages(system: str, messages: list[Message]) -> list[dict[str, Any]]:
    """Messages in the Chat Completions shape: tool results become `role: "tool"` messages right
    after the assistant message that asked for them; thinking is not sent back."""
    out: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
    for message in messages:
        texts: list[str] = []
        calls: list[dict[str, Any]] = []
        for part in message.parts:
            match part.type:
                case "text":
                    texts.append(part.text)
                case "tool_call":
                    arguments = json.dumps(part.arguments, ensure_ascii=False)
                    function = {"name": part.name, "arguments": arguments}
                    calls.append({"id": part.call_id, "type": "function", "function": function})
                case "tool_result":
                    out.append(
                        {"role": "tool", "tool_call_id": part.call_id, "content": part.content}
                    )
                case "thinking":
                    pass
        text = "".join(texts)
        if message.role == "assistant":
            entry: dict[str, Any] = {"role": "assistant", "content": text or None}
            if calls:
                entry["tool_calls"] = calls
            out.append(entry)
        elif text:
            out.append({"role": "user", "content": text})
    return out


def build_params(request: ProviderRequest, dialect: OpenAIDialect) -> dict[str, Any]:
    params: dict[str, Any] = {
        "model": request.model,
        "messages": build_messages(request.system, request.messages),
        "stream": True,
        "stream_options": {"include_usage": True},
        dialect.max_tokens_param: request.max_tokens,
    }
    if request.tools:
        params["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": t.name,
                    "description": t.description,
                    "parameters": t.input_schema,
                },
            }
            for t in request.tools
        ]
    budget = request.thinking_budget
    if budget and dialect.reasoning == "effort":
        effort = "low" if budget < 4096 else "medium" if budget < 16384 else "high"
        params["reasoning_effort"] = effort
    elif budget and dialect.reasoning == "openrouter":
        params["extra_body"] = {"reasoning": {"max_tokens": budget}}
    return params


@dataclass
class _PendingCall:
    call_id: str = ""
    name: str = ""
    chunks: list[str] = field(default_factory=list)


@dataclass
class _StreamState:
    calls: dict[int, _PendingCall] = field(default_factory=dict)
    thinking: list[str] = field(default_factory=list)
    usage: UsageReport | None = None
    finish_reason: str | None = None


class OpenAIProvider:
    """`Provider` for Chat Completions; `dialect` selects OpenAI, OpenRouter, Gemini or a local
    OpenAI-compatible server."""

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | None = None,
        dialect: OpenAIDialect = OPENAI,
        retry: RetryPolicy | None = None,
        idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S,
    ) -> None:
        self.name = dialect.name
        self._dialect = dialect
        self._retry = retry or RetryPolicy()
        self._idle_timeout_s = idle_timeout_s
        self._client = openai.AsyncOpenAI(
            api_key=api_key or "not-needed",
            base_url=base_url,
            max_retries=0,
            timeout=httpx2.Timeout(idle_timeout_s * 2, connect=30.0),
            default_headers=dialect.headers or None,
        )

    async def aclose(self) -> None:
        await self._client.close()

    async def stream(
        self, request: ProviderRequest, *, cancel: asyncio.Event | None = None
    ) -> AsyncIterator[ProviderEvent]:
        params = build_params(request, self._dialect)

        async def open_stream() -> openai.AsyncStream[Any]:
            create = cast(Any, self._client.chat.completions.create)
            return cast(openai.AsyncStream[Any], await create(**params))

        response: openai.AsyncStream[Any] | None = None
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
        for call in self._complete_calls(state):
            yield call
        if state.usage is not None:
            yield state.usage
        reason = _FINISH_REASONS.get(state.finish_reason or "", "other")
        if state.calls and reason == "end_turn":
            reason = "tool_use"
        yield Stop(reason=reason)

    async def _read(
        self, response: openai.AsyncStream[Any], state: _StreamState, cancel: asyncio.Event | None
    ) -> AsyncIterator[ProviderEvent]:
        iterator = response.__aiter__()
        try:
            while True:
                try:
                    chunk = await wait_for_next(
                        iterator.__anext__(), cancel=cancel, timeout_s=self._idle_timeout_s
                    )
                except StopAsyncIteration:
                    break
                for out in self._handle(chunk, state):
                    yield out
            if state.finish_reason is None:
                raise StreamInterrupted(
                    f"{self.name} stream ended without a finish_reason", provider=self.name
                )
        except TimeoutError:
            if state.usage is not None:
                yield state.usage
            raise StreamInterrupted(
                f"{self.name} stream idle for {self._idle_timeout_s:g} s", provider=self.name
            ) from None
        except (openai.APIError, httpx2.HTTPError, ValueError) as exc:
            if state.usage is not None:
                yield state.usage
            raise StreamInterrupted(
                f"{self.name} stream broke: {_describe(exc)}", provider=self.name
            ) from exc

    def _handle(self, chunk: Any, state: _StreamState) -> list[ProviderEvent]:
        out: list[ProviderEvent] = []
        if chunk.usage is not None:
            state.usage = _usage(chunk.usage)
        for choice in chunk.choices or []:
            delta = choice.delta
            reasoning = _extra(delta, "reasoning_content") or _extra(delta, "reasoning")
            if isinstance(reasoning, str) and reasoning:
                state.thinking.append(reasoning)
                out.append(ThinkingDelta(text=reasoning))
            if delta.content or delta.tool_calls or choice.finish_reason:
                out.extend(self._end_thinking(state))
            if delta.content:
                out.append(TextDelta(text=delta.content))
            for call in delta.tool_calls or []:
                pending = state.calls.setdefault(call.index, _PendingCall())
                if call.id:
                    pending.call_id = call.id
                if call.function is not None:
                    pending.name += call.function.name or ""
                    pending.chunks.append(call.function.arguments or "")
            if choice.finish_reason:
                state.finish_reason = choice.finish_reason
        return out

    @staticmethod
    def _end_thinking(state: _StreamState) -> list[ProviderEvent]:
        if not state.thinking:
            return []
        text = "".join(state.thinking)
        state.thinking.clear()
        return [ThinkingDone(text=text)]

    @staticmethod
    def _complete_calls(state: _StreamState) -> list[ToolCall | MalformedToolCall]:
        return [
            parse_tool_arguments(
                pending.call_id or f"call_{uuid.uuid4().hex[:24]}",
                pending.name,
                "".join(pending.chunks),
            )
            for _, pending in sorted(state.calls.items())
        ]

    def _classify(self, exc: BaseException) -> Failure | None:
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            detail = _detail(exc)
            if is_context_overflow(status, detail):
                return Failure(ContextOverflowError(detail, status=status, provider=self.name))
            headers = exc.response.headers
            error = ProviderError(
                http_error_message(self.name, status, detail, self._dialect.key_env),
                retryable=status_is_retryable(status, headers),
                status=status,
                provider=self.name,
            )
            return Failure(error, parse_retry_after(headers))
        if isinstance(exc, openai.APIConnectionError | httpx2.HTTPError | TimeoutError):
            message = f"{self.name} connection failed: {_describe(exc)}"
            return Failure(ProviderError(message, retryable=True, provider=self.name))
        return None


def _usage(usage: Any) -> UsageReport:
    """Chat Completions usage -> normalised: `prompt_tokens` includes cached and cache-written
    tokens, so they are taken out of `input_tokens`."""
    prompt_details = usage.prompt_tokens_details
    cached = (getattr(prompt_details, "cached_tokens", None) or 0) if prompt_details else 0
    written = (_extra(prompt_details, "cache_write_tokens") or 0) if prompt_details else 0
    completion_details = usage.completion_tokens_details
    reasoning = getattr(completion_details, "reasoning_tokens", None) or 0
    cost = _extra(usage, "cost")
    return UsageReport(
        input_tokens=max(0, (usage.prompt_tokens or 0) - cached - written),
        output_tokens=usage.completion_tokens or 0,
        cache_read_tokens=cached,
        cache_write_tokens=written,
        reasoning_tokens=reasoning,
        reported_cost_usd=float(cost) if isinstance(cost, int | float) else None,
    )


def _extra(model: Any, name: str) -> Any:
    """A field the SDK's model does not declare (OpenRouter and local servers add some)."""
    value = getattr(model, name, None)
    if value is None:
        extra = getattr(model, "model_extra", None) or {}
        value = extra.get(name)
    return value


def _detail(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])
        if isinstance(inner, str):
            return inner
    return exc.message


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
