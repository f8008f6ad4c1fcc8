"""How full the model's context window is, and with what.

`context_usage` turns a token count into the status bar's numbers (percent of the window and a
colour level that changes at 50% and 80%). `context_breakdown` splits what the next request would
send into system prompt, tool schemas, instruction files, MCP tool schemas, history and tool
outputs. It is estimated offline (characters / 4, no tokenizer download) and, once a usage report
has arrived, scaled by how far the estimate of that request was from the real prompt size.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from codesm.agent.compaction import CHARS_PER_TOKEN
from codesm.agent.events import ContextReport, Usage
from codesm.agent.messages import Message, ToolResultPart, ToolSpec

ContextLevel = Literal["ok", "warn", "high"]
WARN_AT = 0.5
HIGH_AT = 0.8
MCP_PREFIX = "mcp__"


@dataclass(frozen=True)
class ContextUsage:
    tokens: int
    window: int
    percent: float
    level: ContextLevel


def context_usage(tokens: int, window: int) -> ContextUsage:
    """Percent of `window` used by `tokens`; level "warn" from 50%, "high" from 80%."""
    share = tokens / window if window > 0 else 0.0
    level: ContextLevel = "high" if share >= HIGH_AT else "warn" if share >= WARN_AT else "ok"
    return ContextUsage(tokens, window, round(share * 100, 1), level)


SIDE_CALLS = frozenset({"title", "compaction", "router"})
"""Agents of model calls made beside the conversation: their prompts are not its context."""


def context_after(usage: Usage) -> int | None:
    """How full the conversation's context is after this call, or None for a side call (a title,
    a summary, a router) whose prompt says nothing about it. Every UI's status bar uses this."""
    return None if usage.agent in SIDE_CALLS else tokens_in_context(usage)


def tokens_in_context(usage: Usage) -> int:
    """What one model call leaves in the context: its whole prompt plus its own output."""
    return (
        usage.input_tokens
        + usage.cache_read_tokens
        + usage.cache_write_tokens
        + usage.output_tokens
    )


def spec_chars(spec: ToolSpec) -> int:
    return len(spec.name) + len(spec.description) + len(json.dumps(spec.input_schema))


def request_chars(system: str, messages: Sequence[Message], tools: Sequence[ToolSpec]) -> int:
    """Characters of a request, counted the way `context_breakdown` counts them."""
    chars = len(system) + sum(spec_chars(spec) for spec in tools)
    return chars + sum(len(part.model_dump_json()) for m in messages for part in m.parts)


def context_breakdown(
    *,
    model: str,
    context_window: int,
    system: str,
    instructions: Sequence[str],
    messages: Sequence[Message],
    tools: Sequence[ToolSpec],
    calibration: float | None = None,
) -> ContextReport:
    """The `context_report` for a request made of these parts. `instructions` are the texts of
    the instruction files inside `system`; `calibration` is real tokens per estimated token."""
    instruction_chars = min(sum(len(text) for text in instructions), len(system))
    mcp = sum(spec_chars(s) for s in tools if s.name.startswith(MCP_PREFIX))
    builtin = sum(spec_chars(s) for s in tools if not s.name.startswith(MCP_PREFIX))
    outputs = history = 0
    for message in messages:
        for part in message.parts:
            size = len(part.model_dump_json())
            if isinstance(part, ToolResultPart):
                outputs += size
            else:
                history += size
    scale = calibration if calibration and calibration > 0 else 1.0

    def tokens(chars: int) -> int:
        return round(chars / CHARS_PER_TOKEN * scale)

    return ContextReport(
        model=model,
        context_window=context_window,
        system_prompt=tokens(len(system) - instruction_chars),
        instructions=tokens(instruction_chars),
        tool_schemas=tokens(builtin),
        mcp_tool_schemas=tokens(mcp),
        history=tokens(history),
        tool_outputs=tokens(outputs),
        calibrated=calibration is not None,
    )


def report_total(report: ContextReport) -> int:
    return (
        report.system_prompt
        + report.instructions
        + report.tool_schemas
        + report.mcp_tool_schemas
        + report.history
        + report.tool_outputs
    )
