"""How full the model's context window is, and with what.

`context_usage` turns a token count into the status bar's numbers (percent of the window and a
colour level that changes at 50% and 80%). `measure_request` splits a request into what fills it
(system prompt, each instruction file, the skills list, built-in and MCP tool schemas, user and
assistant text, thinking, tool outputs) in one pass; the agent measures every request it sends
with it, and `/context` measures the next one the same way. `context_breakdown` turns the
measure into tokens: estimated offline (characters / 4, no tokenizer download) and, once a usage
report has arrived, scaled by how far the estimate of that request was from the real prompt size.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from codesm.agent.compaction import CHARS_PER_TOKEN
from codesm.agent.events import ContextFile, ContextReport, Usage
from codesm.agent.instructions import InstructionFile
from codesm.agent.messages import (
    Message,
    TextPart,
    ThinkingPart,
    ToolResultPart,
    ToolSpec,
)

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


@dataclass(frozen=True)
class PromptSection:
    """A part of the system prompt the breakdown names on its own line: an instruction file
    (`name` is its display path) or the skills list."""

    kind: Literal["instructions", "skills"]
    name: str
    text: str


def prompt_sections(
    instructions: Sequence[InstructionFile], skills: str, *, workspace: Path, home: Path
) -> tuple[PromptSection, ...]:
    """The named sections of a system prompt built from these instruction files and skills
    list. Files are named relative to the workspace, or to `~`, never by their contents."""
    found = [
        PromptSection("instructions", _display_path(item.path, workspace, home), item.text)
        for item in instructions
    ]
    if skills:
        found.append(PromptSection("skills", "skills", skills))
    return tuple(found)


def _display_path(path: Path, workspace: Path, home: Path) -> str:
    if path.is_relative_to(workspace):
        return path.relative_to(workspace).as_posix()
    if path.is_relative_to(home):
        return "~/" + path.relative_to(home).as_posix()
    return path.as_posix()


@dataclass(frozen=True)
class RequestSize:
    """Characters of one request by what fills them (see `measure_request`)."""

    system: int = 0
    """The system prompt without the named sections."""
    instruction_files: tuple[tuple[str, int], ...] = ()
    skills: int = 0
    tool_schemas: int = 0
    mcp_tool_schemas: int = 0
    user: int = 0
    assistant: int = 0
    thinking: int = 0
    tool_outputs: int = 0

    @property
    def total(self) -> int:
        return (
            self.system
            + sum(chars for _, chars in self.instruction_files)
            + self.skills
            + self.tool_schemas
            + self.mcp_tool_schemas
            + self.user
            + self.assistant
            + self.thinking
            + self.tool_outputs
        )


def spec_chars(spec: ToolSpec) -> int:
    return len(spec.name) + len(spec.description) + len(json.dumps(spec.input_schema))


def measure_request(
    system: str,
    messages: Sequence[Message],
    tools: Sequence[ToolSpec],
    sections: Sequence[PromptSection] = (),
) -> RequestSize:
    """What one request is made of, in characters, in one pass over the history. `sections` are
    the named parts inside `system` (counted out of it, never more than it holds)."""
    left = len(system)
    files: list[tuple[str, int]] = []
    skills = 0
    for section in sections:
        chars = min(len(section.text), left)
        left -= chars
        if section.kind == "skills":
            skills += chars
        else:
            files.append((section.name, chars))
    mcp = builtin = 0
    for spec in tools:
        if spec.name.startswith(MCP_PREFIX):
            mcp += spec_chars(spec)
        else:
            builtin += spec_chars(spec)
    user = assistant = thinking = outputs = 0
    for message in messages:
        for part in message.parts:
            size = len(part.model_dump_json())
            if isinstance(part, ToolResultPart):
                outputs += size
            elif isinstance(part, ThinkingPart):
                thinking += size
            elif isinstance(part, TextPart) and message.role == "user":
                user += size
            else:  # the assistant's text and its tool calls
                assistant += size
    return RequestSize(
        system=left, instruction_files=tuple(files), skills=skills, tool_schemas=builtin,
        mcp_tool_schemas=mcp, user=user, assistant=assistant, thinking=thinking,
        tool_outputs=outputs,
    )  # fmt: skip


def request_chars(system: str, messages: Sequence[Message], tools: Sequence[ToolSpec]) -> int:
    """Characters of a request, counted the way `context_breakdown` counts them."""
    return measure_request(system, messages, tools).total


def context_breakdown(
    size: RequestSize,
    *,
    model: str,
    context_window: int,
    calibration: float | None = None,
    trigger: Literal["command", "step"] = "command",
    turn_id: str | None = None,
) -> ContextReport:
    """The `context_report` of a request measured as `size`; `calibration` is real tokens per
    estimated token (from the usage report of the request this measure belongs to)."""
    scale = calibration if calibration and calibration > 0 else 1.0

    def tokens(chars: int) -> int:
        return round(chars / CHARS_PER_TOKEN * scale)

    files = [ContextFile(name=name, tokens=tokens(chars)) for name, chars in size.instruction_files]
    user, assistant = tokens(size.user), tokens(size.assistant)
    return ContextReport(
        model=model,
        context_window=context_window,
        system_prompt=tokens(size.system),
        instructions=sum(f.tokens for f in files),
        instruction_files=files,
        skills=tokens(size.skills),
        tool_schemas=tokens(size.tool_schemas),
        mcp_tool_schemas=tokens(size.mcp_tool_schemas),
        user_messages=user,
        assistant_messages=assistant,
        history=user + assistant,
        thinking=tokens(size.thinking),
        tool_outputs=tokens(size.tool_outputs),
        calibrated=calibration is not None,
        trigger=trigger,
        turn_id=turn_id,
    )


def calibration_of(size: RequestSize, prompt_tokens: int) -> float | None:
    """Real tokens per estimated token of a request measured as `size` that the provider said
    was `prompt_tokens` long (None when either is unknown)."""
    estimate = size.total / CHARS_PER_TOKEN
    return prompt_tokens / estimate if prompt_tokens > 0 and estimate > 0 else None


def step_breakdown(
    request: RequestSize,
    output: RequestSize,
    *,
    prompt_tokens: int,
    output_tokens: int,
    model: str,
    context_window: int,
    turn_id: str,
) -> ContextReport:
    """What fills the context after one model step: the request it sent, scaled to the prompt
    size the provider reported for it, plus the step's output (its real output tokens, split
    between thinking and the rest by characters). Its total is the status bar's figure."""
    report = context_breakdown(
        request, model=model, context_window=context_window,
        calibration=calibration_of(request, prompt_tokens), trigger="step", turn_id=turn_id,
    )  # fmt: skip
    written = output.assistant + output.thinking
    thinking = round(output_tokens * output.thinking / written) if written else 0
    assistant = output_tokens - thinking
    return report.model_copy(
        update={
            "assistant_messages": report.assistant_messages + assistant,
            "history": report.history + assistant,
            "thinking": report.thinking + thinking,
        }
    )


def report_total(report: ContextReport) -> int:
    return (
        report.system_prompt
        + report.instructions
        + report.skills
        + report.tool_schemas
        + report.mcp_tool_schemas
        + report.history
        + report.thinking
        + report.tool_outputs
    )


ContextKind = Literal[
    "system", "instructions", "skills", "tools", "mcp", "user", "assistant", "thinking", "outputs"
]


@dataclass(frozen=True)
class ContextRow:
    kind: ContextKind
    label: str
    tokens: int


def report_rows(report: ContextReport) -> list[ContextRow]:
    """The breakdown as rows in a fixed order, each instruction file by name; every UI's
    `/context` view and panel shows these rows (a report from before the finer split: its
    coarser ones)."""
    rows = [ContextRow("system", "System prompt", report.system_prompt)]
    if report.instruction_files:
        rows += [
            ContextRow("instructions", f"Instructions: {f.name}", f.tokens)
            for f in report.instruction_files
        ]
    else:
        rows.append(ContextRow("instructions", "Instruction files", report.instructions))
    rows += [
        ContextRow("skills", "Skills list", report.skills),
        ContextRow("tools", "Tool schemas (built-in)", report.tool_schemas),
        ContextRow("mcp", "MCP tool schemas", report.mcp_tool_schemas),
    ]
    if report.user_messages or report.assistant_messages or not report.history:
        rows += [
            ContextRow("user", "User messages", report.user_messages),
            ContextRow("assistant", "Assistant messages", report.assistant_messages),
        ]
    else:
        rows.append(ContextRow("assistant", "History", report.history))
    rows += [
        ContextRow("thinking", "Thinking", report.thinking),
        ContextRow("outputs", "Tool outputs", report.tool_outputs),
    ]
    return rows


def free_tokens(report: ContextReport) -> int:
    return max(0, report.context_window - report_total(report))
