"""Ollama adapter on the official client: native `/api/chat` with tools and `think`, streamed as
NDJSON. Ollama sends each tool call whole (arguments as a dict) and has no call ids: codesm makes
them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import ollama

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
    parse_tool_arguments,
    status_is_retryable,
    wait_for_next,
)
from codesm.errors import ContextOverflowError, ProviderError, StreamInterrupted

DEFAULT_HOST = "http://127.0.0.1:11434"


def build_messages(system: str, messages: list[Message]) -> list[dict[str, Any]]:
    """Messages in Ollama's shape; a tool result names its tool (`tool_name`), found by call id."""
    names = {
        part.call_id: part.name
        for message in messages
        for part in message.parts
        if part.type == "tool_call"
    }
    out: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
    for message in messages:
        texts: list[str] = []
        thinking: list[str] = []
        calls: list[dict[str, Any]] = []
        for part in message.parts:
            match part.type:
                case "text":
                    texts.append(part.text)
                case "thinking":
                    thinking.append(part.text)
                case "tool_call":
                    calls.append({"function": {"name": part.name, "arguments": part.arguments}})
                case "tool_result":
                    name = names.get(part.call_id, "")
                    out.append({"role": "tool", "tool_name": name, "content": part.content})
        if message.role == "assistant":
            entry: dict[str, Any] = {"role": "assistant", "content": "".join(texts)}
            if thinking:
                entry["thinking"] = "".join(thinking)
            if calls:
                entry["tool_calls"] = calls
            out.append(entry)
        elif texts:
            out.append({"role": "user", "content": "".join(texts)})
    return out


@dataclass
class _StreamState:
    thinking: list[str] = field(default_factory=list)
    tool_calls: list[ToolCall | MalformedToolCall] = field(default_factory=list)
    usage: UsageReport | None = None
    done_reason: str | None = None
    done: bool = False


class OllamaProvider:
    """`Provider` for a local (or remote) Ollama server."""

    name = "ollama"

    def __init__(
        self,
        *,
        host: str | None = None,
        retry: RetryPolicy | None = None,
        idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S,
        num_ctx: int | None = None,
    ) -> None:
        self._retry = retry or RetryPolicy()
        self._idle_timeout_s = idle_timeout_s
        self._num_ctx = num_ctx
        self._client = ollama.AsyncClient(
            host=host or DEFAULT_HOST, timeout=httpx.Timeout(idle_timeout_s * 2, connect=30.0)
        )

    async def aclose(self) -> None:
        await self._client._client.aclose()

    async def stream(
        self, request: ProviderRequest, *, cancel: asyncio.Event | None = None
    ) -> AsyncIterator[ProviderEvent]:
        options: dict[str, Any] = {"num_predict": request.max_tokens}
        if self._num_ctx:
            options["num_ctx"] = self._num_ctx
        tools = [
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

        async def open_stream() -> tuple[AsyncIterator[ollama.ChatResponse], ollama.ChatResponse]:
            # The client sends the request on the first read: "started" means one chunk arrived.
            chunks = await self._client.chat(
                model=request.model,
                messages=build_messages(request.system, request.messages),
                tools=tools or None,
                stream=True,
                think=bool(request.thinking_budget) or None,
                options=options,
            )
            first = await chunks.__anext__()
            return chunks, first

        opened: tuple[AsyncIterator[ollama.ChatResponse], ollama.ChatResponse] | None = None
        try:
            async for item in open_with_retries(
                open_stream,
                classify=self._classify,
                policy=self._retry,
                cancel=cancel,
                timeout_s=self._idle_timeout_s,
            ):
                if isinstance(item, Opened):
                    opened = item.value
                else:
                    yield item
        except Cancelled:
            return
        assert opened is not None
        chunks, first = opened
        state = _StreamState()
        try:
            for event in self._handle(first, state):
                yield event
            async for event in self._read(chunks, state, cancel):
                yield event
        except Cancelled:
            return
        finally:
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(Exception):
                    await aclose()
        for call in state.tool_calls:
            yield call
        if state.usage is not None:
            yield state.usage
        reason: StopReason = "max_tokens" if state.done_reason == "length" else "end_turn"
        if state.tool_calls:
            reason = "tool_use"
        yield Stop(reason=reason)

    async def _read(
        self,
        chunks: AsyncIterator[ollama.ChatResponse],
        state: _StreamState,
        cancel: asyncio.Event | None,
    ) -> AsyncIterator[ProviderEvent]:
        try:
            while not state.done:
                try:
                    chunk = await wait_for_next(
                        chunks.__anext__(), cancel=cancel, timeout_s=self._idle_timeout_s
                    )
                except StopAsyncIteration:
                    raise StreamInterrupted(
                        "ollama stream ended before done", provider=self.name
                    ) from None
                for event in self._handle(chunk, state):
                    yield event
        except TimeoutError:
            raise StreamInterrupted(
                f"ollama stream idle for {self._idle_timeout_s:g} s", provider=self.name
            ) from None
        except (ollama.ResponseError, httpx.HTTPError, ValueError) as exc:
            raise StreamInterrupted(
                f"ollama stream broke: {_describe(exc)}", provider=self.name
            ) from exc

    def _handle(self, chunk: ollama.ChatResponse, state: _StreamState) -> list[ProviderEvent]:
        out: list[ProviderEvent] = []
        message = chunk.message
        if message.thinking:
            state.thinking.append(message.thinking)
            out.append(ThinkingDelta(text=message.thinking))
        if state.thinking and (message.content or message.tool_calls or chunk.done):
            out.append(ThinkingDone(text="".join(state.thinking)))
            state.thinking.clear()
        if message.content:
            out.append(TextDelta(text=message.content))
        for call in message.tool_calls or []:
            call_id = f"call_{uuid.uuid4().hex[:24]}"
            arguments: Any = call.function.arguments
            if isinstance(arguments, Mapping):
                state.tool_calls.append(
                    ToolCall(call_id=call_id, name=call.function.name, arguments=dict(arguments))
                )
            else:  # some servers send a JSON string despite the schema
                raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
                state.tool_calls.append(parse_tool_arguments(call_id, call.function.name, raw))
        if chunk.done:
            state.done = True
            state.done_reason = chunk.done_reason
            state.usage = UsageReport(
                input_tokens=chunk.prompt_eval_count or 0, output_tokens=chunk.eval_count or 0
            )
        return out

    def _classify(self, exc: BaseException) -> Failure | None:
        if isinstance(exc, ollama.ResponseError):
            status = exc.status_code if exc.status_code > 0 else 500
            detail = exc.error
            if is_context_overflow(status, detail):
                return Failure(ContextOverflowError(detail, status=status, provider=self.name))
            error = ProviderError(
                http_error_message(self.name, status, detail, None),
                retryable=status_is_retryable(status),
                status=status,
                provider=self.name,
            )
            return Failure(error)
        if isinstance(exc, ConnectionError | httpx.HTTPError | TimeoutError | StopAsyncIteration):
            message = f"ollama connection failed: {_describe(exc)}"
            return Failure(ProviderError(message, retryable=True, provider=self.name))
        return None


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
