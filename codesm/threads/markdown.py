"""`codesm threads markdown`: a faithful, readable Markdown transcript of a thread's event log.

Every event type is handled explicitly (an exhaustive `match`): messages become sections, tool
calls show their arguments and results, proposed and applied changes show their diffs, and the
streaming deltas are skipped because the final messages repeat them whole.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any, assert_never

from codesm.agent.events import (
    ApprovalDecided,
    ApprovalRequested,
    AssistantMessage,
    AssistantTextDelta,
    BudgetWarning,
    ChangeApplied,
    ChangeProposed,
    ChangeRedone,
    ChangeRejected,
    ChangeUndone,
    Compaction,
    ContextReport,
    Error,
    Event,
    ModeChanged,
    ModelChanged,
    PermissionModeChanged,
    Retry,
    StoredEvent,
    SubagentFinished,
    SubagentProgress,
    SubagentStarted,
    ThinkingDelta,
    Title,
    ToolCallFinished,
    ToolCallStarted,
    ToolOutputDelta,
    TurnFinished,
    TurnStarted,
    Usage,
    UserMessage,
)
from codesm.store import SessionRecord, UsageTotals


def fence(text: str, lang: str = "") -> str:
    """A fenced code block that no backtick run inside `text` can close early."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    body = text if text.endswith("\n") or not text else text + "\n"
    return f"{ticks}{lang}\n{body}{ticks}"


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines())


def _arguments(name: str, arguments: dict[str, Any]) -> str:
    command = arguments.get("command")
    if name == "bash" and isinstance(command, str) and len(arguments) <= 2:
        return fence(command, "sh")
    return fence(json.dumps(arguments, indent=2, ensure_ascii=False), "json")


class _Renderer:
    def __init__(self, *, thinking: bool) -> None:
        self.thinking = thinking
        self.blocks: list[str] = []
        self.role: str | None = None
        self.tools: dict[str, str] = {}

    def heading(self, role: str) -> None:
        if self.role != role:
            self.blocks.append(f"## {role}")
            self.role = role

    def note(self, text: str) -> None:
        self.blocks.append(f"_{text}_")

    def add(self, event: Event) -> None:
        match event:
            case UserMessage():
                self.heading("User (steering)" if event.steering else "User")
                self.blocks.append(event.text.strip() or "_(empty message)_")
            case AssistantMessage():
                self.assistant(event)
            case AssistantTextDelta() | ThinkingDelta() | ToolOutputDelta():
                pass  # previews of what the final message or result holds in full
            case ToolCallStarted():
                self.heading("Assistant")
                self.tools[event.call_id] = event.name
                self.blocks.append(f"**Tool call `{event.name}`**\n\n" +
                                   _arguments(event.name, event.arguments))  # fmt: skip
            case ToolCallFinished():
                name = self.tools.get(event.call_id, "tool")
                label = "error" if event.is_error else "result"
                if event.interrupted:
                    label = "interrupted"
                self.blocks.append(f"**`{name}` {label}**\n\n" + fence(event.content))
            case ApprovalRequested():
                why = f" ({event.reason})" if event.reason else ""
                self.blocks.append(_quote(f"Approval requested: {event.title}{why}"))
            case ApprovalDecided():
                comment = f": {event.comment}" if event.comment else ""
                self.blocks.append(_quote(f"{event.decision} by {event.source}{comment}"))
            case ChangeProposed():
                self.blocks.append(
                    f"**Proposed change to {', '.join(event.paths)}**\n\n"
                    + fence(event.diff, "diff")
                )
            case ChangeApplied():
                text = f"**Applied change to {', '.join(event.paths)}**"
                if event.diff:
                    text += " (as written)\n\n" + fence(event.diff, "diff")
                self.blocks.append(text)
            case ChangeRejected():
                comment = f": {event.comment}" if event.comment else ""
                self.note(f"change {event.change_id[:8]} rejected ({event.reason}){comment}")
            case ChangeUndone():
                self.note(f"change {event.change_id[:8]} undone: {', '.join(event.paths)}")
            case ChangeRedone():
                self.note(f"change {event.change_id[:8]} redone: {', '.join(event.paths)}")
            case Compaction():
                self.blocks.append(_quote("Earlier conversation compacted:\n\n" + event.summary))
            case Error():
                self.blocks.append(_quote(f"**Error** ({event.kind}): {event.message}"))
            case Retry():
                self.note(f"retry {event.attempt} after {event.delay_s:g}s: {event.reason}")
            case TurnFinished():
                if event.status != "completed":
                    why = f": {event.reason}" if event.reason else ""
                    self.note(f"turn ended {event.status}{why}")
            case ModeChanged():
                self.note(f"agent mode: {event.mode}")
            case PermissionModeChanged():
                self.note(f"permission mode: {event.permission_mode}")
            case ModelChanged():
                self.note(f"model: {event.model}")
            case SubagentStarted():
                what = f": {event.description}" if event.description else ""
                self.note(f"subagent {event.subagent_type} ({event.model}) started{what}")
            case SubagentFinished():
                self.note(
                    f"subagent {event.subagent_type} {event.status} after {event.steps} steps, "
                    f"${event.cost_usd:.4f} (thread {event.child_session_id[:8]})"
                )
                if event.summary.strip():
                    self.blocks.append(_quote(event.summary.strip()))
            case BudgetWarning():
                verb = "exceeded" if event.exceeded else "reached 80% of"
                self.note(f"spending {verb} the {event.scope} budget (${event.limit_usd:.2f})")
            case Usage() | Title() | TurnStarted() | ContextReport() | SubagentProgress():
                pass  # summed up in the header / shown as the title / no content / UI only
            case _:
                assert_never(event)

    def assistant(self, event: AssistantMessage) -> None:
        thoughts = [t.text for t in event.thinking if t.text.strip()]
        if not event.text.strip() and not (self.thinking and thoughts):
            return
        self.heading("Assistant")
        if self.thinking and thoughts:
            self.blocks.append(_quote("Thinking:\n\n" + "\n\n".join(thoughts)))
        if event.text.strip():
            self.blocks.append(event.text.strip())
        if event.incomplete:
            self.note("(this answer is incomplete: the stream broke or codesm stopped)")


def render_markdown(
    session: SessionRecord,
    events: Iterable[StoredEvent],
    *,
    usage: UsageTotals | None = None,
    thinking: bool = False,
) -> str:
    """The whole thread as Markdown, header first."""
    renderer = _Renderer(thinking=thinking)
    for stored in events:
        renderer.add(stored.event)
    meta = [
        f"- Thread: `{session.id}`",
        f"- Created: {session.created_at.isoformat(timespec='seconds')}",
        f"- Updated: {session.updated_at.isoformat(timespec='seconds')}",
        f"- Mode: {session.mode}" + (f", model: {session.model}" if session.model else ""),
    ]
    if session.labels:
        meta.append(f"- Labels: {', '.join(session.labels)}")
    if usage is not None and usage.calls:
        meta.append(
            f"- Usage: {usage.calls} model calls, {usage.input_tokens} input / "
            f"{usage.output_tokens} output tokens, ${usage.cost_usd:.4f}"
        )
    head = [f"# {session.title or 'Untitled thread'}", "\n".join(meta)]
    return "\n\n".join([*head, *renderer.blocks]) + "\n"
