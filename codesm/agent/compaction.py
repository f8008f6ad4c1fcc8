"""Context management: estimate how full the window is, and compact the history when needed.

Compaction asks the model for a summary of the conversation so far and records a `compaction`
event; the transcript then starts from that summary and keeps the current turn verbatim, from its
`user_message` on (a complete boundary: no tool call is ever separated from its result). Old tool
output is pruned from the request for the summary, so an overflowing history can still be summed up.
The summary call's tokens are published as a `usage` event (agent "compaction"), priced like any
other call, and added to the running turn's budget, so totals, the dashboard and budgets count them.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence

from codesm.agent.events import Compaction, StoredEvent, UserMessage
from codesm.agent.guard import TurnBudget
from codesm.agent.messages import (
    Message,
    ProviderRequest,
    TextDelta,
    TextPart,
    ToolResultPart,
    ToolSpec,
    UsageReport,
)
from codesm.agent.model_step import usage_event
from codesm.agent.providers.base import Provider
from codesm.agent.providers.registry import ResolvedModel
from codesm.agent.transcript import build_transcript

CHARS_PER_TOKEN = 4
"""Offline estimate (no tokenizer download is possible); exact counts come from usage reports."""
COMPACT_AT = 0.85
"""Compact once a request would fill this share of the window left after the output reserve."""
PRUNED_TOOL_OUTPUT = "[old tool output pruned to save context]"
KEEP_RECENT_RESULTS = 4
SUMMARY_PROMPT = """\
Summarise the conversation so far for yourself, so the work can continue without it: the user's \
goals and constraints, what was done (files read and changed, commands run, their results), \
decisions made and why, and what remains to do. Be concrete: keep file paths, names and numbers. \
Answer with the summary only."""
COMPACTION_AGENT = "compaction"

Publish = Callable[..., Awaitable[object]]


def estimate_tokens(system: str, messages: Sequence[Message], tools_json_chars: int = 0) -> int:
    chars = len(system) + tools_json_chars
    for message in messages:
        for part in message.parts:
            chars += len(part.model_dump_json())
    return chars // CHARS_PER_TOKEN + 1


def needs_compaction(prompt_tokens: int, *, context_window: int, max_output: int) -> bool:
    usable = max(context_window - max_output, context_window // 4)
    return prompt_tokens >= usable * COMPACT_AT


def prune_tool_output(
    messages: Sequence[Message], keep_recent: int = KEEP_RECENT_RESULTS
) -> list[Message]:
    """Replace the content of all but the last `keep_recent` tool results with a marker."""
    total = sum(isinstance(p, ToolResultPart) for m in messages for p in m.parts)
    to_prune = total - keep_recent
    pruned: list[Message] = []
    for message in messages:
        parts = []
        for part in message.parts:
            if isinstance(part, ToolResultPart) and to_prune > 0:
                to_prune -= 1
                part = part.model_copy(update={"content": PRUNED_TOOL_OUTPUT})
            parts.append(part)
        pruned.append(Message(role=message.role, parts=parts))
    return pruned


async def summarise(
    provider: Provider,
    *,
    model: str,
    system: str,
    messages: Sequence[Message],
    tools: Sequence[ToolSpec],
    cancel: asyncio.Event,
    instructions: str | None = None,
    max_tokens: int = 4096,
    usages: list[UsageReport] | None = None,
) -> str:
    """Ask the model for a summary of `messages` (tool output pruned first). The tools are sent
    too: providers refuse a history with tool calls but no tool definitions. The call's usage
    reports are appended to `usages`."""
    ask = SUMMARY_PROMPT + (f"\n\nAlso: {instructions}" if instructions else "")
    history = prune_tool_output(messages)
    if history and history[-1].role == "user":
        last = history[-1]
        history[-1] = Message(role="user", parts=[*last.parts, TextPart(text=ask)])
    else:
        history.append(Message(role="user", parts=[TextPart(text=ask)]))
    request = ProviderRequest(
        model=model, system=system, messages=history, tools=list(tools), max_tokens=max_tokens
    )
    text: list[str] = []
    async for item in provider.stream(request, cancel=cancel):
        if isinstance(item, TextDelta):
            text.append(item.text)
        elif isinstance(item, UsageReport) and usages is not None:
            usages.append(item)
    return "".join(text).strip()


async def compaction_event(
    provider: Provider,
    *,
    resolved: ResolvedModel,
    system: str,
    tools: Sequence[ToolSpec],
    events: Sequence[StoredEvent],
    turn_id: str | None,
    instructions: str | None,
    cancel: asyncio.Event,
    publish: Publish,
    budget: TurnBudget | None = None,
) -> Compaction | None:
    """The `compaction` event summarising `events` (None when there is nothing to summarise).

    With a `turn_id`, that turn is kept verbatim from its `user_message` on: the summary covers
    only what came before, so no tool call is separated from its result. The summary call's usage
    is published (a `/compact` outside any turn gets a turn id of its own) and its cost added to
    `budget`, the running turn's."""
    keep_from = None
    earlier = list(events)
    if turn_id is not None:
        keep_from = next(
            (s.seq for s in events
             if isinstance(s.event, UserMessage) and s.event.turn_id == turn_id),
            None,
        )  # fmt: skip
        earlier = [s for s in events if keep_from is None or s.seq < keep_from]
    messages = build_transcript(earlier)
    if not messages:
        return None
    usages: list[UsageReport] = []
    try:
        summary = await summarise(
            provider, model=resolved.info.id, system=system, messages=messages, tools=tools,
            cancel=cancel, instructions=instructions, usages=usages,
        )  # fmt: skip
    finally:
        await publish_usage(usages, resolved, turn_id, publish, budget)
    return Compaction(
        turn_id=turn_id,
        summary=summary,
        keep_from_seq=keep_from,
        tokens_before=estimate_tokens("", build_transcript(events)),
        tokens_after=len(summary) // CHARS_PER_TOKEN,
    )


async def publish_usage(
    usages: Sequence[UsageReport],
    resolved: ResolvedModel,
    turn_id: str | None,
    publish: Publish,
    budget: TurnBudget | None,
) -> None:
    """Publish the summary call's `usage` events and add their cost to the turn's budget."""
    if not usages:
        return
    turn = turn_id or f"compact-{uuid.uuid4().hex[:16]}"
    found = [usage_event(u, resolved, turn_id=turn, agent=COMPACTION_AGENT) for u in usages]
    if budget is not None:
        budget.charge(sum(event.cost_usd for event in found))
    await publish(*found)
