"""Tool calls and proposed changes in the chat: one collapsible line each, expandable to the
arguments, the streamed output and the result (or the diff)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.text import Text
from textual.timer import Timer
from textual.widgets import Collapsible, Static

from codesm.agent.events import (
    StoredEvent,
    SubagentFinished,
    SubagentProgress,
    SubagentStarted,
    ToolCallFinished,
    ToolCallStarted,
)
from codesm.tui.diff import diff_stats, parse_hunks, render_hunk
from codesm.tui.subagent_refs import RunningSubagent

MAX_OUTPUT_CHARS = 20_000
SUMMARY_CHARS = 70
ICONS = {"running": "◌", "ok": "✓", "error": "✗", "interrupted": "⊘"}
CHILD_CALLS_SHOWN = 12
SUMMARY_KEYS = ("command", "path", "pattern", "url", "query", "description")


def summarize_arguments(name: str, arguments: dict[str, Any]) -> str:
    """The one argument that says what a call does (its command, path, pattern...)."""
    if name == "todo_write":
        return f"{len(arguments.get('todos') or [])} task(s)"
    for key in SUMMARY_KEYS:
        value = arguments.get(key)
        if isinstance(value, str) and value:
            return _clip(" ".join(value.split()))
    return _clip(json.dumps(arguments, ensure_ascii=False)) if arguments else ""


def _clip(text: str, limit: int = SUMMARY_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _duration(started: datetime, finished: datetime | None) -> str:
    if finished is None:
        return ""
    seconds = max(0.0, (finished - started).total_seconds())
    return f"{seconds:.1f}s" if seconds < 60 else f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


@dataclass
class ChildCall:
    """A tool call of a subagent, shown as one line under the subagent."""

    name: str
    summary: str
    started: datetime
    finished: datetime | None = None
    state: str = "running"

    def line(self) -> str:
        parts = [ICONS[self.state], self.name, self.summary, _duration(self.started, self.finished)]
        return "  ".join(p for p in parts if p)


def progress_line(event: SubagentProgress, elapsed_s: float | None = None) -> str:
    """`step 3 · running grep 'foo' · 12s · 5.2k tokens · $0.0031` (or the outcome);
    `elapsed_s` is the time now, when it runs on since the event."""
    parts = [f"step {event.step}", event.activity] if event.status == "running" else [
        event.status, f"{event.step} step{'' if event.step == 1 else 's'}"]  # fmt: skip
    parts.append(f"{int(event.elapsed_s if elapsed_s is None else elapsed_s)}s")
    parts.append(_tokens(event.input_tokens + event.output_tokens))
    if event.cost_usd:
        parts.append(f"${event.cost_usd:.4f}")
    return " · ".join(p for p in parts if p)


def _tokens(tokens: int) -> str:
    if not tokens:
        return ""
    return f"{tokens / 1000:.1f}k tokens" if tokens >= 1000 else f"{tokens} tokens"


class ToolCallView(Collapsible):
    """A tool call: status icon, name, what it acts on and duration; expands to its output."""

    DEFAULT_CSS = """
    ToolCallView {
        margin: 0 0 0 2;
        padding: 0;
        border: none;
        background: transparent;
    }
    ToolCallView > Contents { padding: 0 0 0 4; height: auto; }
    ToolCallView.-error CollapsibleTitle { color: $error; }
    ToolCallView.-running CollapsibleTitle { color: $warning; }
    ToolCallView .tool-args { color: $text-muted; }
    ToolCallView .tool-output { max-height: 20; overflow-y: auto; }
    """

    def __init__(
        self, call_id: str, name: str, arguments: dict[str, Any], started: datetime
    ) -> None:
        self.call_id = call_id
        self.tool_name = name
        self.arguments = arguments
        self.started = started
        self.finished: datetime | None = None
        self.state = "running"
        self.output = ""
        self.result: str | None = None
        self._args_view = Static(
            json.dumps(arguments, indent=2, ensure_ascii=False), classes="tool-args", markup=False
        )
        self._output_view = Static("", classes="tool-output", markup=False)
        self._subagents: dict[int, Static] = {}
        self._subagent_heads: dict[int, str] = {}
        self._child_calls: dict[int, dict[str, ChildCall]] = {}
        self.subagent_sessions: dict[int, str] = {}
        """Each subagent's session by its index (its number in the chat is index + 1)."""
        self.running_subagents: set[int] = set()
        self.labels: dict[str, str] = {}
        """Every subagent's number as shown, by session: `2`, `1.2` (nested under 1)."""
        self._kinds: dict[str, tuple[str, str]] = {}
        self._progress: dict[str, tuple[SubagentProgress, float]] = {}
        """The last progress of each subagent (any depth) and when it came (monotonic)."""
        self._nested: dict[int, list[str]] = {}
        self._owner: dict[str, int] = {}
        self._ticker: Timer | None = None
        super().__init__(
            self._args_view, self._output_view, title=self._heading(), collapsed=True,
            id=f"tool-{call_id}",
        )  # fmt: skip
        self.add_class("-running")

    def _heading(self) -> str:
        summary = summarize_arguments(self.tool_name, self.arguments)
        when = _duration(self.started, self.finished)
        parts = [ICONS[self.state], self.tool_name, summary, when]
        return "  ".join(p for p in parts if p)

    def add_output(self, text: str) -> None:
        """Append streamed output (only the tail is kept)."""
        self.output = (self.output + text)[-MAX_OUTPUT_CHARS:]
        self._output_view.update(Text(self.output))

    async def subagent(self, event: SubagentStarted | SubagentFinished) -> None:
        """Nest a subagent of this call under it: type, model, what it does, then its outcome."""
        line = self._subagents.get(event.index)
        if line is None:
            line = self._subagents[event.index] = Static("", classes="subagent", markup=False)
            if self.is_mounted:
                await self.query_one(Collapsible.Contents).mount(line)
            else:
                self.compose_add_child(line)
        number = event.index + 1
        session = event.child_session_id
        self.subagent_sessions[event.index] = session
        self._owner[session] = event.index
        self.labels[session] = str(number)
        if isinstance(event, SubagentStarted):
            self.running_subagents.add(event.index)
            self._kinds[session] = (event.subagent_type, event.description)
            text = f"↳ {number} ◌ {event.subagent_type} ({event.model})  {event.description}"
        else:
            self.running_subagents.discard(event.index)
            self._progress.pop(session, None)
            icon = ICONS["ok"] if event.status == "completed" else ICONS["error"]
            text = f"↳ {number} {icon} {event.subagent_type} ({event.model})  {event.status}  "
            text += f"{event.steps} steps  {event.duration_s:.1f}s  ${event.cost_usd:.4f}"
            tokens = _tokens(event.input_tokens + event.output_tokens)
            text += f"  {tokens}" if tokens else ""
            if event.summary or event.error:
                text += f"\n    {_clip(event.error or event.summary, 200)}"
        self._subagent_heads[event.index] = text
        self._show_subagent(event.index)
        self._keep_ticking()

    def progress(self, event: SubagentProgress) -> None:
        """A subagent's live step, activity, time, tokens and cost; a nested subagent (started
        by one of this call's subagents) becomes an indented line under it, numbered under its
        parent's number (`1.2`)."""
        session, parent = event.child_session_id, event.parent_child_session_id
        if parent is None:
            index = self._owner.get(session)
            if index is None or index not in self.running_subagents:
                return
        else:
            index = self._owner.get(parent)
            if index is None or parent not in self.labels:
                return
            if session not in self.labels:
                siblings = [s for s in self._nested.get(index, []) if self._parent_of(s) == parent]
                self.labels[session] = f"{self.labels[parent]}.{len(siblings) + 1}"
                self._nested.setdefault(index, []).append(session)
            self._owner[session] = index
            kind, description = self._kinds.get(session, (event.subagent_type, ""))
            self._kinds[session] = (kind, event.description or description)
        self._progress[session] = (event, time.monotonic())
        self._show_subagent(index)
        self._keep_ticking()

    def _parent_of(self, session: str) -> str | None:
        known = self._progress.get(session)
        return known[0].parent_child_session_id if known is not None else None

    def running(self) -> list[RunningSubagent]:
        """Its running subagents at every depth, in the order the chat shows them."""
        found: list[RunningSubagent] = []
        for index in sorted(self.running_subagents):
            session = self.subagent_sessions[index]
            for each in [session, *self._nested.get(index, [])]:
                last = self._progress.get(each)
                if each != session and (last is None or last[0].status != "running"):
                    continue
                kind, description = self._kinds.get(each, ("subagent", ""))
                found.append(RunningSubagent(self.labels[each], each, kind, description))
        return found

    def on_mount(self) -> None:
        self._keep_ticking()

    def _keep_ticking(self) -> None:
        """Between progress events, move the elapsed times on every second while any runs."""
        if self.running_subagents and self._ticker is None and self.is_mounted:
            self._ticker = self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        for index in self.running_subagents:
            self._show_subagent(index)
        if not self.running_subagents and self._ticker is not None:
            self._ticker.stop()
            self._ticker = None

    def _progress_line(self, session: str, *, running: bool) -> str:
        event, at = self._progress[session]
        ticking = running and event.status == "running"
        return progress_line(event, event.elapsed_s + time.monotonic() - at if ticking else None)

    def _nested_line(self, session: str, *, running: bool) -> str:
        event = self._progress[session][0]
        icon = ICONS["running"] if event.status == "running" else (
            ICONS["ok"] if event.status == "completed" else ICONS["error"])  # fmt: skip
        indent = "    " * max(1, event.depth - 1)
        line = self._progress_line(session, running=running)
        return f"{indent}↳ {self.labels[session]} {icon} {event.subagent_type}  {line}"

    def child_event(self, index: int, stored: StoredEvent) -> None:
        """Fold an event of the subagent `index`'s own session in: its tool calls nest under it."""
        event = stored.event
        calls = self._child_calls.setdefault(index, {})
        if isinstance(event, ToolCallStarted):
            summary = summarize_arguments(event.name, event.arguments)
            calls[event.call_id] = ChildCall(event.name, summary, stored.ts)
        elif isinstance(event, ToolCallFinished) and event.call_id in calls:
            call = calls[event.call_id]
            call.finished = stored.ts
            call.state = "interrupted" if event.interrupted else "error" if event.is_error else "ok"
        else:
            return
        self._show_subagent(index)

    def child_calls(self, index: int) -> list[ChildCall]:
        return list(self._child_calls.get(index, {}).values())

    def _show_subagent(self, index: int) -> None:
        line = self._subagents.get(index)
        if line is None:
            return
        calls = self.child_calls(index)
        head, _, outcome = self._subagent_heads.get(index, "").partition("\n")
        lines = [head]
        running = index in self.running_subagents
        session = self.subagent_sessions.get(index)
        if running and session in self._progress:
            lines.append("    " + self._progress_line(session, running=True))
        lines += [self._nested_line(s, running=running) for s in self._nested.get(index, [])]
        if len(calls) > CHILD_CALLS_SHOWN:
            lines.append(f"    … {len(calls) - CHILD_CALLS_SHOWN} earlier tool call(s)")
        lines += [f"    {call.line()}" for call in calls[-CHILD_CALLS_SHOWN:]]
        line.update(Text("\n".join([*lines, outcome] if outcome else lines)))

    def finish(
        self, content: str, *, is_error: bool, interrupted: bool, finished: datetime
    ) -> None:
        self.result = content
        self.finished = finished
        self.state = "interrupted" if interrupted else "error" if is_error else "ok"
        self.remove_class("-running")
        self.set_class(is_error, "-error")
        shown = content if not self.output else f"{self.output.rstrip()}\n─── result ───\n{content}"
        self._output_view.update(Text(shown[-MAX_OUTPUT_CHARS:]))
        self.title = self._heading()


class ChangeView(Collapsible):
    """A proposed change: its files, +/- counts and status; expands to the highlighted diff."""

    DEFAULT_CSS = """
    ChangeView {
        margin: 0 0 0 2;
        padding: 0;
        border: none;
        background: transparent;
    }
    ChangeView > Contents { padding: 0 0 0 4; height: auto; }
    ChangeView.-applied CollapsibleTitle { color: $success; }
    ChangeView.-rejected CollapsibleTitle { color: $error; }
    """

    def __init__(self, change_id: str, paths: list[str], diff: str) -> None:
        self.change_id = change_id
        self.paths = paths
        self.diff = diff
        self.status = "proposed"
        self.comment: str | None = None
        self._body = Static(self._render_diff(diff), markup=False)
        super().__init__(
            self._body, title=self._heading(), collapsed=True, id=f"change-{change_id}"
        )

    @staticmethod
    def _render_diff(diff: str) -> Text:
        hunks = parse_hunks(diff)
        out = Text()
        for hunk in hunks:
            out.append(f"{hunk.path}  {hunk.header}\n", style="bold")
            out.append_text(render_hunk(hunk))
            out.append("\n")
        return out

    def _heading(self) -> str:
        added, removed = diff_stats(self.diff)
        files = ", ".join(self.paths)
        why = f" ({self.comment})" if self.comment else ""
        return f"± {files}  +{added} -{removed}  {self.status}{why}"

    def set_status(
        self, status: str, *, diff: str | None = None, comment: str | None = None
    ) -> None:
        self.status = status
        self.comment = comment
        if diff is not None:
            self.diff = diff
            self._body.update(self._render_diff(diff))
        for name in ("applied", "rejected"):
            self.set_class(status == name, f"-{name}")
        self.title = self._heading()
