"""The session's status (modes, model, context, cost) and the widgets that show it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual.widgets import Static

from codesm.agent.context_usage import ContextLevel, context_usage
from codesm.agent.events import AgentMode, PermissionMode
from codesm.agent.providers.registry import PROVIDER_ENV
from codesm.agent.runtime import Runtime
from codesm.errors import CodesmError

TODO_MARKS = {"pending": "☐", "in_progress": "◐", "completed": "☑"}


@dataclass
class SessionStatus:
    """What the status bar and the sidebar show about the current session."""

    mode: AgentMode = "smart"
    permission_mode: PermissionMode = "review"
    model: str = "no provider"
    context_window: int | None = None
    context_tokens: int = 0
    cost_usd: float = 0.0
    running: bool = False
    title: str | None = None
    todos: list[dict[str, Any]] = field(default_factory=list)

    @property
    def context_level(self) -> ContextLevel:
        if not self.context_window:
            return "ok"
        return context_usage(self.context_tokens, self.context_window).level

    @property
    def context_label(self) -> str:
        if self.context_window:
            share = 100 * self.context_tokens / self.context_window
            return f"{self.context_tokens:,} tok ({share:.0f}%)"
        return f"{self.context_tokens:,} tok"


def model_label(runtime: Runtime, model: str | None, mode: str) -> tuple[str, int | None]:
    """The model id a session will use and its context window ("no provider" when none)."""
    try:
        resolved = runtime.models.resolve(model, mode)  # type: ignore[arg-type]
    except CodesmError:
        return (model or "no provider"), None
    return resolved.info.id, resolved.info.context_window


def provider_hint(runtime: Runtime) -> str | None:
    """How to connect a model provider (None when one is configured)."""
    if runtime.models.providers:
        return None
    keys = [key for key, _ in PROVIDER_ENV.values() if key]
    return (
        "No model provider is configured. Press Ctrl+A (or /connect) to paste an API key, "
        f"or set {', '.join(keys)} (or OLLAMA_HOST for a local Ollama) and restart codesm. "
        "Sessions and history work without one."
    )


class StatusBar(Static):
    """One line at the bottom: mode, permission mode, model, context and cost."""

    DEFAULT_CSS = """
    StatusBar {
        dock: bottom;
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text-muted;
    }
    """

    context_level: ContextLevel = "ok"
    """How full the context window is: "warn" from 50%, "high" from 80% (styled to match)."""

    def show(self, status: SessionStatus) -> None:
        mode_style = "bold black on yellow" if status.mode == "rush" else "bold black on cyan"
        level = status.context_level
        self.context_level = level
        for name in ("ok", "warn", "high"):
            self.set_class(name == level, f"-ctx-{name}")
        theme = self.app.current_theme
        ctx_style = {"ok": "", "warn": f"bold {theme.warning}", "high": f"bold {theme.error}"}
        text = Text.assemble(
            (f" {status.mode.upper()} ", mode_style),
            "  ",
            (status.permission_mode, "bold"),
            "  │  ",
            (status.model, "bold"),
            "  │  ",
            (f"ctx {status.context_label}", ctx_style[level]),
            "  │  ",
            f"${status.cost_usd:.4f}",
            "  │  ",
            "● working (esc cancels)" if status.running else "○ idle",
            "   tab mode · ^p commands · ^b sidebar",
        )
        self.update(text)


class TodoPanel(Static):
    """The agent's task list (from its latest `todo_write`), hidden while empty."""

    DEFAULT_CSS = """
    TodoPanel {
        height: auto;
        max-height: 10;
        padding: 0 1;
        border-top: solid $primary-darken-2;
        display: none;
    }
    TodoPanel.-has-todos { display: block; }
    """

    def show(self, todos: list[dict[str, Any]]) -> None:
        self.set_class(bool(todos), "-has-todos")
        text = Text()
        done = sum(1 for t in todos if t.get("status") == "completed")
        text.append(f"Tasks {done}/{len(todos)}", style="bold")
        for item in todos:
            status = str(item.get("status", "pending"))
            style = {"completed": "dim strike", "in_progress": "bold"}.get(status, "")
            text.append(f"\n{TODO_MARKS.get(status, '☐')} ")
            text.append(str(item.get("content", "")), style=style)
        self.update(text)
