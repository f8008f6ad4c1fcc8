"""One model call inside a turn: stream it, publish what arrives, and collect the result.

Text deltas are throttled before they are committed: the first delta after a quiet spell is
committed at once, and while deltas arrive densely they are batched to at most one commit per
~16 ms frame. A sparse stream adds no latency; a fast one costs ~60 SQLite commits a second at most
and the UIs stay smooth.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from codesm.agent.events import AssistantTextDelta, Event, Retry, ThinkingDelta, ToolCallRef, Usage
from codesm.agent.messages import (
    MalformedToolCall,
    ProviderRequest,
    RetryScheduled,
    Stop,
    TextDelta,
    ThinkingDone,
    ThinkingPart,
    ToolCall,
    UsageReport,
)
from codesm.agent.messages import ThinkingDelta as ProviderThinkingDelta
from codesm.agent.providers.base import Provider
from codesm.agent.providers.pricing import cost_of
from codesm.agent.providers.registry import ResolvedModel

DELTA_FLUSH_S = 0.016
"""The throttle's frame: at most one commit of streamed deltas per this many seconds."""
DELTA_FLUSH_CHARS = 4000

Publish = Callable[..., Awaitable[object]]


@dataclass
class StepResult:
    text: str = ""
    thinking: list[ThinkingPart] = field(default_factory=list)
    tool_calls: list[ToolCall] = field(default_factory=list)
    malformed: list[MalformedToolCall] = field(default_factory=list)
    stop_reason: str | None = None
    cost_usd: float = 0.0
    prompt_tokens: int = 0
    """Input tokens of this call including cache reads and writes: how full the context is."""
    output_tokens: int = 0


class _DeltaBuffer:
    """Text and thinking deltas waiting to be committed, throttled on the leading edge: a delta
    that comes `DELTA_FLUSH_S` or more after the last commit is committed at once; one that comes
    sooner waits for a timer at the end of that frame, which commits everything that arrived in
    it. So a delta is never held longer than one frame, and when the stream pauses (a slow model,
    a stalled connection) what arrived is committed without waiting for the next token."""

    def __init__(self, publish: Publish, turn_id: str) -> None:
        self._publish = publish
        self._turn_id = turn_id
        self._text: list[str] = []
        self._thinking: list[str] = []
        self._last_flush = -DELTA_FLUSH_S  # the first delta is never held
        self._timer: asyncio.Task[None] | None = None
        # Taking the buffered text and publishing it happen under one lock, so the timer's
        # flush and the stream's never commit deltas out of order.
        self._lock = asyncio.Lock()

    async def add(self, *, text: str = "", thinking: str = "") -> None:
        if text:
            self._text.append(text)
        if thinking:
            self._thinking.append(thinking)
        waited = time.monotonic() - self._last_flush
        pending = self._timer is not None and not self._timer.done()
        size = sum(map(len, self._text)) + sum(map(len, self._thinking))
        if size >= DELTA_FLUSH_CHARS or (waited >= DELTA_FLUSH_S and not pending):
            await self.flush()
        elif not pending:
            self._timer = asyncio.create_task(self._flush_after(DELTA_FLUSH_S - waited))

    async def _flush_after(self, delay: float) -> None:
        await asyncio.sleep(delay)
        # Once committing, it finishes even if `close` cancels the timer: no half-done commit.
        await asyncio.shield(self.flush())

    async def flush(self) -> None:
        async with self._lock:
            events: list[Event] = []
            if self._thinking:
                events.append(ThinkingDelta(turn_id=self._turn_id, text="".join(self._thinking)))
            if self._text:
                events.append(AssistantTextDelta(turn_id=self._turn_id, text="".join(self._text)))
            self._text, self._thinking = [], []
            if events:
                self._last_flush = time.monotonic()
                await self._publish(*events)

    async def close(self) -> None:
        """Stop the timer and commit what is left (the stream ended, broke or was cancelled)."""
        timer, self._timer = self._timer, None
        if timer is not None and not timer.done() and timer is not asyncio.current_task():
            timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await timer
        await self.flush()


async def run_model_step(
    provider: Provider,
    request: ProviderRequest,
    *,
    resolved: ResolvedModel,
    turn_id: str,
    agent: str | None,
    publish: Publish,
    cancel: asyncio.Event,
    result: StepResult,
) -> StepResult:
    """Stream one request into `result` (filled as it goes, so a caller that catches a
    `StreamInterrupted` still has the partial text). Raises the provider's errors.

    Usage is published when the stream ends, naming the tool calls of this step, so the cost of
    the step can be attributed to them (a broken stream's usage names none)."""
    buffer = _DeltaBuffer(publish, turn_id)
    text: list[str] = []
    thinking_text: list[str] = []
    usages: list[UsageReport] = []
    complete = False
    try:
        async for item in provider.stream(request, cancel=cancel):
            match item:
                case TextDelta():
                    text.append(item.text)
                    result.text = "".join(text)
                    await buffer.add(text=item.text)
                case ProviderThinkingDelta():
                    thinking_text.append(item.text)
                    await buffer.add(thinking=item.text)
                case ThinkingDone():
                    result.thinking.append(ThinkingPart(text=item.text, signature=item.signature))
                    thinking_text = []
                case ToolCall():
                    result.tool_calls.append(item)
                case MalformedToolCall():
                    result.malformed.append(item)
                case UsageReport():
                    usages.append(item)
                case Stop():
                    result.stop_reason = item.reason
                case RetryScheduled():
                    await buffer.flush()
                    await publish(
                        Retry(
                            turn_id=turn_id,
                            attempt=item.attempt,
                            delay_s=item.delay_s,
                            reason=item.reason,
                        )
                    )
        complete = True
    finally:
        if thinking_text and not result.thinking:
            result.thinking.append(ThinkingPart(text="".join(thinking_text)))
        await buffer.close()
        calls = [ToolCallRef(call_id=c.call_id, name=c.name) for c in result.tool_calls]
        for i, usage in enumerate(usages, start=1):
            named = calls if complete and i == len(usages) else []
            event = usage_event(usage, resolved, turn_id=turn_id, agent=agent, tool_calls=named)
            result.cost_usd += event.cost_usd
            result.prompt_tokens = tokens_in_prompt(usage)
            result.output_tokens = usage.output_tokens
            await publish(event)
    return result


def tokens_in_prompt(usage: UsageReport) -> int:
    return usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens


def usage_event(
    usage: UsageReport,
    resolved: ResolvedModel,
    *,
    turn_id: str,
    agent: str | None,
    tool_calls: list[ToolCallRef] | None = None,
) -> Usage:
    """The `usage` event of one model call, priced by the one cost function (`cost_of`): turns,
    compaction summaries and titles all publish theirs through here."""
    return Usage(
        turn_id=turn_id,
        provider=resolved.provider.name,
        model=resolved.info.id,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_read_tokens=usage.cache_read_tokens,
        cache_write_tokens=usage.cache_write_tokens,
        reasoning_tokens=usage.reasoning_tokens,
        cost_usd=cost_of(usage, resolved).usd or 0.0,
        agent=agent,
        tool_calls=tool_calls or [],
    )
