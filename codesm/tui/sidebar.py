"""The sidebar (Ctrl+B): this workspace's sessions, and the current one's context and cost."""

from __future__ import annotations

import asyncio

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from codesm.agent.runtime import Runtime
from codesm.tui.messages import SessionChosen
from codesm.tui.status import SessionStatus

SESSIONS_SHOWN = 50


class Sidebar(Vertical):
    DEFAULT_CSS = """
    Sidebar {
        dock: left;
        width: 36;
        border-right: vkey $primary-darken-2;
        padding: 0 1 1 1;
        display: none;
    }
    Sidebar.-open { display: block; }
    Sidebar .heading { text-style: bold; margin-top: 1; }
    Sidebar OptionList { height: 1fr; border: none; padding: 0; }
    """

    def __init__(self) -> None:
        super().__init__(id="sidebar")
        self.sessions = OptionList(id="session-list")
        self.details = Static("", id="session-details")

    def compose(self) -> ComposeResult:
        yield Static("Sessions", classes="heading")
        yield self.sessions
        yield Static("This session", classes="heading")
        yield self.details

    def show_status(self, status: SessionStatus) -> None:
        self.details.update(
            Text.assemble(
                (status.title or "untitled", "bold"),
                f"\nmodel    {status.model}",
                f"\ncontext  {status.context_label}",
                f"\ncost     ${status.cost_usd:.4f}",
            )
        )

    async def load_sessions(self, runtime: Runtime, current: str | None) -> None:
        sessions = await runtime.store.sessions.list_recent(
            project_id=runtime.project_id, limit=SESSIONS_SHOWN
        )
        totals = await asyncio.gather(
            *(runtime.store.usage.totals(session_id=s.id) for s in sessions)
        )
        self.sessions.clear_options()
        for session, total in zip(sessions, totals, strict=True):
            mark = "▶ " if session.id == current else "  "
            label = Text.assemble(
                mark, (session.title or "untitled", "bold" if mark.strip() else ""),
                (f"\n  {session.updated_at:%Y-%m-%d %H:%M}  ${total.cost_usd:.4f}", "dim"),
            )  # fmt: skip
            self.sessions.add_option(Option(label, id=session.id))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(SessionChosen(event.option.id))
