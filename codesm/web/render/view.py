"""What a session page shows, as plain data folded from the session's events.

`SessionView` is fed every `StoredEvent` in `seq` order (a replay, then live events); the
templates render it. Event-specific HTML fragments for live updates are made in `live.py` from the
same state, so a reload and a live page always show the same thing.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from markupsafe import Markup

from codesm.agent.context_usage import context_usage
from codesm.agent.events import Attachment
from codesm.agent.subagents.types import SUBAGENT_TOOL_NAMES
from codesm.security.clip import clip_words
from codesm.web.render.diff import DiffLayout
from codesm.web.render.held import StreamHold
from codesm.web.render.markdown import render_markdown
from codesm.web.render.tool_output import OutputUpdate, ToolOutput

SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
KEY_ARGUMENTS = ("command", "path", "file_path", "pattern", "query", "url", "glob")
KEY_ARGUMENT_CHARS = 200
BUDGET_TITLE = re.compile(r"The (turn|session|day) budget of \$([0-9]+(?:\.[0-9]+)?) ")


def dom_id(prefix: str, raw: str) -> str:
    """An element id safe in HTML and CSS selectors for an id chosen by a model or provider."""
    if SAFE_ID.fullmatch(raw):
        return f"{prefix}-{raw}"
    return f"{prefix}-h{hashlib.sha256(raw.encode()).hexdigest()[:20]}"


@dataclass
class MessageView:
    dom: str
    text_parts: list[str] = field(default_factory=list)
    thinking_parts: list[str] = field(default_factory=list)
    streaming: bool = True
    incomplete: bool = False
    _html: Markup | None = None
    text_hold: StreamHold | None = None
    thinking_hold: StreamHold | None = None
    """Set for a guest's view: what of the streaming text is not shown yet (see `held.py`)."""

    @property
    def text(self) -> str:
        return "".join(self.text_parts)

    @property
    def thinking(self) -> str:
        return "".join(self.thinking_parts)

    @property
    def shown_text(self) -> str:
        """The text as the page shows it: while streaming, without what is held back."""
        hold = self.text_hold if self.streaming else None
        return hold.shown(self.text) if hold else self.text

    @property
    def shown_thinking(self) -> str:
        hold = self.thinking_hold if self.streaming else None
        return hold.shown(self.thinking) if hold else self.thinking

    @property
    def html(self) -> Markup:
        """Rendered once, when the message is final; streaming text is shown escaped as is."""
        if self._html is None:
            self._html = render_markdown(self.text)
        return self._html


@dataclass
class SubagentView:
    """One subagent run by a tool call (its `children` are its own subagents, nested); its own
    transcript is the child session's page. `duration_s` is the elapsed time while it runs."""

    child_session_id: str
    subagent_type: str
    model: str
    label: str = ""
    """Its number as the TUI shows it (`2`; `1.2` under subagent 1), what `/steer` takes."""
    description: str = ""
    status: str = "running"
    cost_usd: float = 0.0
    duration_s: float = 0.0
    summary: str = ""
    step: int = 0
    activity: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    started_at: float | None = None
    """When it started (epoch seconds, the server's clock); the page ticks the elapsed time."""
    children: dict[str, SubagentView] = field(default_factory=dict)

    @property
    def dom(self) -> str:
        return dom_id("sub", self.child_session_id)

    @property
    def started_ms(self) -> int | None:
        """`started_at` for the page's clock ticking (JavaScript's milliseconds), while running."""
        if not self.running or self.started_at is None:
            return None
        return int(self.started_at * 1000)

    @property
    def running(self) -> bool:
        return self.status == "running"

    @property
    def tokens(self) -> str:
        if not self.input_tokens and not self.output_tokens:
            return ""
        return f"{_count(self.input_tokens)} in / {_count(self.output_tokens)} out tokens"


def _count(tokens: int) -> str:
    return f"{tokens / 1000:.1f}k" if tokens >= 1000 else str(tokens)


@dataclass
class ToolView:
    dom: str
    call_id: str
    name: str
    arguments: dict[str, Any]
    started: datetime
    subagents: dict[str, SubagentView] = field(default_factory=dict)
    result: str | None = None
    is_error: bool = False
    interrupted: bool = False
    finished: datetime | None = None
    output_hold: StreamHold | None = None
    """Set for a guest's view: what of the running output is not shown yet."""
    terminal: ToolOutput = field(init=False)
    """The output decoded from ANSI into lines of HTML (see `tool_output.py`)."""

    def __post_init__(self) -> None:
        self.terminal = ToolOutput(self.dom, self.output_hold)

    @property
    def status(self) -> str:
        if self.result is None:
            return "running"
        if self.interrupted:
            return "interrupted"
        return "error" if self.is_error else "done"

    @property
    def runs_subagents(self) -> bool:
        return self.name in SUBAGENT_TOOL_NAMES or bool(self.subagents)

    @property
    def key_argument(self) -> str:
        for key in KEY_ARGUMENTS:
            value = self.arguments.get(key)
            if isinstance(value, str) and value:
                return clip_words(value, KEY_ARGUMENT_CHARS)
        for value in self.arguments.values():
            if isinstance(value, str | int | float) and str(value):
                return clip_words(str(value), KEY_ARGUMENT_CHARS)
        return ""

    @property
    def output_lines(self) -> Markup:
        """The finished lines as the page shows them: while running, without what is held
        back; once finished, everything."""
        if self.result is not None:
            self.terminal.release_all()
        return self.terminal.lines.finished_html()

    @property
    def output_tail(self) -> Markup:
        """The line being written (or, once finished, the last line if it has no newline)."""
        if self.result is not None:
            self.terminal.release_all()
        return self.terminal.lines.tail

    @property
    def duration(self) -> str:
        if self.finished is None:
            return ""
        seconds = max(0.0, (self.finished - self.started).total_seconds())
        return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"

    def add_output(self, text: str) -> OutputUpdate | None:
        """Fold in one output delta; returns what changed on the page, if anything."""
        return self.terminal.add(text)


@dataclass
class ApprovalView:
    dom: str
    call_id: str
    kind: str
    title: str
    detail: str
    reason: str | None
    change_id: str | None
    decision: str | None = None
    comment: str | None = None
    source: str | None = None

    @property
    def budget(self) -> tuple[str, float] | None:
        """For a budget question: the scope and the limit that was reached (from its title)."""
        found = BUDGET_TITLE.match(self.title) if self.kind == "budget" else None
        return (found.group(1), float(found.group(2))) if found else None

    @property
    def suggested_budget(self) -> str:
        """What the "raise" field starts with: double the reached limit (at least $1)."""
        budget = self.budget
        return f"{max(1.0, 2 * budget[1]):.2f}" if budget else ""


@dataclass
class ChangeView:
    dom: str
    change_id: str
    call_id: str
    paths: list[str]
    diff: str
    status: str = "proposed"
    comment: str | None = None
    approval: ApprovalView | None = None
    layout: DiffLayout = "unified"
    """How the page this view renders for shows diffs (the browser's choice)."""


@dataclass
class NoticeView:
    dom: str
    kind: str
    text: str


Item = MessageView | ToolView | ApprovalView | ChangeView | NoticeView


@dataclass
class TurnView:
    turn_id: str
    dom: str
    user_text: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    """The prompt's `@path` attachments, shown as chips (never their content)."""
    items: list[Item] = field(default_factory=list)
    status: str = "running"
    reason: str | None = None
    messages: int = 0
    open_message: MessageView | None = None

    @property
    def running(self) -> bool:
        return self.status == "running"


@dataclass
class StatusView:
    """The status bar: modes, model and money."""

    mode: str
    permission_mode: str
    model: str
    context_window: int | None = None
    context_tokens: int = 0
    cost_usd: float = 0.0
    running: bool = False
    title: str = ""
    model_options: list[str] = field(default_factory=list)

    @property
    def context_label(self) -> str:
        used = _compact_number(self.context_tokens)
        if not self.context_window:
            return f"{used} tokens"
        share = 100 * self.context_tokens / self.context_window
        return f"{used} / {_compact_number(self.context_window)} ({share:.0f}%)"

    @property
    def context_level(self) -> str:
        """`ok`, `warn` (from 50% of the window) or `high` (from 80%): the status bar colour."""
        if not self.context_window:
            return "ok"
        return context_usage(self.context_tokens, self.context_window).level

    @property
    def cost_label(self) -> str:
        return f"${self.cost_usd:.4f}" if self.cost_usd < 1 else f"${self.cost_usd:.2f}"


def _compact_number(value: int) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if value >= 1_000:
        return f"{value / 1_000:.1f}k"
    return str(value)
