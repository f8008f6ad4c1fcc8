"""The chat log: a session's events folded into widgets, replayed from the store then live.

During a replay nothing is mounted until the end (`flush`), and streamed deltas are only
collected: each message is rendered once, from its final text. Live, deltas are appended to the
open message's markdown as they come.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import assert_never

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Markdown, Static

from codesm.agent.context_usage import context_after
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
from codesm.tui.context import ContextScreen, context_summary
from codesm.tui.messages import ApprovalNeeded, StatusChanged
from codesm.tui.status import SessionStatus
from codesm.tui.tools import ChangeView, ToolCallView

log = logging.getLogger(__name__)


class UserView(Static):
    DEFAULT_CSS = """
    UserView {
        margin: 1 0 0 0;
        padding: 0 1;
        border-left: thick $accent;
        background: $boost;
    }
    """


class NoticeView(Static):
    DEFAULT_CSS = """
    NoticeView { margin: 0 0 0 2; color: $text-muted; }
    NoticeView.-error { color: $error; }
    NoticeView.-approval { color: $warning; }
    """


class AssistantView(Markdown):
    """One assistant message; streamed into while open, re-rendered once when final."""

    DEFAULT_CSS = """
    AssistantView { margin: 0 0 0 1; padding: 0 1; background: transparent; }
    AssistantView.-incomplete { border-left: thick $warning; }
    """

    def __init__(self, text: str = "", *, thinking: bool = False) -> None:
        super().__init__(text)
        self.text = text
        self.thinking = thinking
        if thinking:
            self.add_class("-thinking")

    async def add(self, text: str) -> None:
        self.text += text
        if self.is_mounted:
            await self.append(text)
        else:
            self._initial_markdown = self.text

    async def finish(self, text: str, *, incomplete: bool) -> None:
        self.set_class(incomplete, "-incomplete")
        if text != self.text or not self.is_mounted:
            self.text = text
            if self.is_mounted:
                await self.update(text)
            else:
                self._initial_markdown = text


class ThinkingView(Static):
    DEFAULT_CSS = """
    ThinkingView { margin: 0 0 0 2; color: $text-muted; text-style: italic; max-height: 6; }
    """

    def __init__(self) -> None:
        super().__init__("", markup=False)
        self.text = ""

    def add(self, text: str) -> None:
        self.text += text
        self.update(Text("thinking: " + self.text[-600:]))


class ChatLog(VerticalScroll):
    """Every turn of the current session; `apply` folds one stored event in."""

    DEFAULT_CSS = """
    ChatLog { height: 1fr; padding: 0 1; scrollbar-size-vertical: 1; }
    """

    def __init__(
        self,
        status: SessionStatus,
        model_label: Callable[[str], str],
        child_events: Callable[[str], AsyncIterator[StoredEvent]] | None = None,
    ) -> None:
        super().__init__(id="chat")
        self.child_events = child_events
        """A subagent session's events (stored, then live until its turn ends)."""
        self.status = status
        self.model_label = model_label
        self.last_seq = 0
        self.tools: dict[str, ToolCallView] = {}
        self.changes: dict[str, ChangeView] = {}
        self.approvals: dict[str, tuple[ApprovalRequested, NoticeView]] = {}
        self.open_turns: set[str] = set()
        self._open: dict[str, AssistantView] = {}
        self._thinking: dict[str, ThinkingView] = {}
        self._staged: list[Widget] = []
        self.live = False
        self.context: ContextReport | None = None
        """The newest breakdown of the context window (one after every model step)."""

    async def _add(self, widget: Widget) -> None:
        if self.live:
            await self.mount(widget)
            self.scroll_end(animate=False)
        else:
            self._staged.append(widget)

    async def flush(self) -> None:
        """End of the replay: mount what it built, then render live; re-raise open approvals."""
        staged, self._staged = self._staged, []
        if staged:
            await self.mount_all(staged)
        self.live = True
        self.scroll_end(animate=False)
        for request, _ in self.approvals.values():
            if request.turn_id in self.open_turns:
                self.post_message(ApprovalNeeded(request))

    async def apply(self, stored: StoredEvent) -> None:
        if stored.seq <= self.last_seq:
            return
        self.last_seq = stored.seq
        event = stored.event
        match event:
            case TurnStarted():
                self.open_turns.add(event.turn_id)
                self.status.running = True
                self._status()
            case UserMessage():
                prompt = Text(event.text)
                for attached in event.attachments:
                    label = attached.path
                    if attached.kind == "refused":
                        label += f": not attached, {attached.note}"
                    prompt.append(f"\n📎 {label}", style="dim")
                await self._add(UserView(prompt, classes="user"))
            case AssistantTextDelta():
                self._close_thinking(event.turn_id)
                view = self._open.get(event.turn_id)
                if view is None:
                    view = self._open[event.turn_id] = AssistantView()
                    await self._add(view)
                await view.add(event.text)
            case ThinkingDelta():
                thinking = self._thinking.get(event.turn_id)
                if thinking is None:
                    thinking = self._thinking[event.turn_id] = ThinkingView()
                    await self._add(thinking)
                thinking.add(event.text)
            case AssistantMessage():
                await self._final_message(event)
            case ToolCallStarted():
                self._close(event.turn_id)
                tool = ToolCallView(event.call_id, event.name, event.arguments, stored.ts)
                self.tools[event.call_id] = tool
                if event.name == "todo_write" and isinstance(event.arguments.get("todos"), list):
                    self.status.todos = list(event.arguments["todos"])
                    self._status()
                await self._add(tool)
            case ToolOutputDelta():
                running = self.tools.get(event.call_id)
                if running is not None:
                    running.add_output(event.text)
            case ToolCallFinished():
                done = self.tools.get(event.call_id)
                if done is not None:
                    done.finish(event.content, is_error=event.is_error,
                                interrupted=event.interrupted, finished=stored.ts)  # fmt: skip
            case ApprovalRequested():
                self._close(event.turn_id)
                line = NoticeView(
                    Text(f"? waiting for approval: {event.title}"), classes="-approval"
                )
                self.approvals[event.call_id] = (event, line)
                await self._add(line)
                if self.live:
                    self.post_message(ApprovalNeeded(event))
            case ApprovalDecided():
                pending = self.approvals.pop(event.call_id, None)
                if pending is not None:
                    request, line = pending
                    mark = "✓" if event.decision == "approved" else "✗"
                    by = "" if event.source == "user" else f" (by {event.source})"
                    why = f": {event.comment}" if event.comment else ""
                    line.update(Text(f"{mark} {event.decision}{by}: {request.title}{why}"))
                    line.remove_class("-approval")
            case ChangeProposed():
                self._close(event.turn_id)
                change = ChangeView(event.change_id, event.paths, event.diff)
                self.changes[event.change_id] = change
                await self._add(change)
            case ChangeApplied():
                applied = self.changes.get(event.change_id)
                if applied is not None:
                    applied.set_status("applied", diff=event.diff)
            case ChangeRejected():
                rejected = self.changes.get(event.change_id)
                if rejected is not None:
                    status = {"dry_run": "dry run", "conflict": "conflict"}.get(event.reason)
                    rejected.set_status(status or "rejected", comment=event.comment)
            case ChangeUndone() | ChangeRedone():
                undone = self.changes.get(event.change_id)
                if undone is not None:
                    undone.set_status("undone" if isinstance(event, ChangeUndone) else "applied")
            case Usage():
                self.status.cost_usd += event.cost_usd
                filled = context_after(event)
                if filled is not None:
                    self.status.context_tokens = filled
                self._status()
            case BudgetWarning():
                what = "exceeded" if event.exceeded else "is at 80% of"
                scope = {"day": "daily"}.get(event.scope, event.scope)
                text = f"budget: ${event.spent_usd:.2f} spent {what} the {scope} limit"
                await self._notice(f"{text} of ${event.limit_usd:.2f}", "-error")
            case ContextReport():
                self.status.context_window = event.context_window
                self.context = event
                if event.trigger == "command":  # `/context`; "step" reports only update state
                    await self._notice(context_summary(event))
                    if self.live:
                        self.app.push_screen(ContextScreen(event))
            case SubagentProgress():
                progressing = self.tools.get(event.call_id)
                if progressing is not None:
                    progressing.progress(event)
            case SubagentStarted() | SubagentFinished():
                if isinstance(event, SubagentFinished):  # its usage is in its own session
                    self.status.cost_usd += event.cost_usd
                    self._status()
                parent = self.tools.get(event.call_id)
                if parent is not None:
                    await parent.subagent(event)
                    if isinstance(event, SubagentStarted) and self.child_events is not None:
                        self.run_worker(self._nest(parent, event), group="subagents")
            case Compaction():
                text = f"Earlier messages were summarised ({event.tokens_before:,} -> "
                await self._notice(f"{text}{event.tokens_after:,} tokens).")
            case Title():
                self.status.title = event.title
                self._status()
            case Error():
                self._close(event.turn_id)
                await self._notice(f"error: {event.message}", "-error")
            case Retry():
                await self._notice(f"retrying in {event.delay_s:.1f}s (attempt {event.attempt})")
            case TurnFinished():
                self._close(event.turn_id)
                self.open_turns.discard(event.turn_id)
                self.status.running = bool(self.open_turns)
                if event.status != "completed":
                    why = f": {event.reason}" if event.reason else ""
                    await self._notice(f"turn {event.status}{why}", "-error")
                self._status()
            case ModeChanged():
                self.status.mode = event.mode
                self._status()
            case PermissionModeChanged():
                self.status.permission_mode = event.permission_mode
                self._status()
            case ModelChanged():
                self.status.model = self.model_label(event.model)
                self._status()
            case _:
                assert_never(event)

    async def _nest(self, parent: ToolCallView, started: SubagentStarted) -> None:
        """Show the subagent's own tool calls under its line (ends with this chat)."""
        assert self.child_events is not None
        try:
            async for stored in self.child_events(started.child_session_id):
                parent.child_event(started.index, stored)
        except Exception:  # the nested view is a nicety: never end the app over it
            log.exception("following subagent session %s", started.child_session_id)

    async def _final_message(self, event: AssistantMessage) -> None:
        self._close_thinking(event.turn_id)
        view = self._open.pop(event.turn_id, None)
        if view is None:
            if not event.text:
                return
            view = AssistantView(event.text)
            await self._add(view)
        await view.finish(event.text, incomplete=event.incomplete)

    def _close(self, turn_id: str | None) -> None:
        if turn_id is not None:
            self._open.pop(turn_id, None)
            self._close_thinking(turn_id)

    def _close_thinking(self, turn_id: str) -> None:
        self._thinking.pop(turn_id, None)

    async def _notice(self, text: str, classes: str = "") -> None:
        await self._add(NoticeView(Text(text), classes=classes))

    def _status(self) -> None:
        self.post_message(StatusChanged())
