"""`CodesmApp`: the Textual face of the core. It renders a session's events (replayed from the
store, then live from the hub) and turns keys, `/` commands and modal answers into ops; the agent
itself runs in the same process through the runtime, exactly as behind the web UI."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from typing import Any, ClassVar, Literal

from rich.text import Text
from textual import on, work
from textual.actions import SkipAction
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static

from codesm.agent.events import (
    AgentMode,
    ApprovalRequested,
    PermissionMode,
    StoredEvent,
    TurnFinished,
)
from codesm.agent.ops import (
    Approve,
    Cancel,
    Deny,
    Op,
    SetMode,
    SetModel,
    SetPermissionMode,
    SubmitPrompt,
)
from codesm.agent.runtime import Runtime
from codesm.errors import CodesmError
from codesm.store import SessionRecord
from codesm.tui import dialogs, slash
from codesm.tui.approval import ApprovalDecision, ApprovalScreen, approval_screen
from codesm.tui.chat import ChatLog, NoticeView
from codesm.tui.commands import SlashCommand, SlashError, parse_slash
from codesm.tui.messages import ApprovalNeeded, PromptSubmitted, SessionChosen, StatusChanged
from codesm.tui.prompt import PromptBar
from codesm.tui.sidebar import Sidebar
from codesm.tui.status import SessionStatus, StatusBar, TodoPanel, model_label, provider_hint

log = logging.getLogger(__name__)

THEMES = ("textual-dark", "textual-light", "nord", "gruvbox", "tokyo-night", "catppuccin-mocha")
REPLAY_PAGE = 2000


class CodesmApp(App[int]):
    TITLE = "codesm"
    CSS = """
    #header { height: 1; padding: 0 1; background: $primary-background; color: $text; }
    #main { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+c", "quit", "quit", priority=True),
        Binding("tab", "toggle_mode", "smart/rush", priority=True),
        Binding("escape", "cancel_turn", "cancel turn"),
        Binding("ctrl+n", "new_session", "new session"),
        Binding("ctrl+t", "cycle_theme", "theme"),
        Binding("ctrl+b", "toggle_sidebar", "sidebar"),
        Binding("ctrl+a", "connect", "connect provider", priority=True),
    ]

    def __init__(self, runtime: Runtime, *, session: SessionRecord | None = None) -> None:
        super().__init__()
        self.runtime = runtime
        self.session = session
        self.status = SessionStatus()
        self.pending_model: str | None = None
        self.chat = self._new_chat()
        self.prompt = PromptBar(runtime.workspace, subagents=lambda: slash.running_subagents(self))
        self._approval_screens: dict[str, ApprovalScreen] = {}

    # --- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static("", id="header")
        yield Sidebar()
        with Vertical(id="main"):
            yield self.chat
            yield TodoPanel(id="todos")
            yield self.prompt
        yield StatusBar(id="status")

    async def on_mount(self) -> None:
        self.theme_changed_signal.subscribe(self, lambda _: self.refresh_status())
        self.prompt.input.focus()
        await self.open_session(self.session)

    def _new_chat(self) -> ChatLog:
        def label(model: str) -> str:
            return model_label(self.runtime, model, self.status.mode)[0]

        return ChatLog(self.status, label, self._child_events)

    async def _child_events(self, session_id: str) -> AsyncIterator[StoredEvent]:
        """A subagent's session: its stored events, then live ones until its turn ends."""
        after, done = 0, False
        for stored in await self.runtime.store.events_after(session_id, 0):
            after, done = stored.seq, isinstance(stored.event, TurnFinished)
            yield stored
        if done:
            return
        async with self.runtime.hub.subscribe(session_id, after_seq=after) as events:
            async for stored in events:
                yield stored
                if isinstance(stored.event, TurnFinished):
                    return

    # --- sessions ----------------------------------------------------------------------------

    async def open_session(self, session: SessionRecord | None) -> None:
        """Show `session` (None: a new one, created with the first prompt)."""
        self.session = session
        self.pending_model = None
        agent = self.runtime.agents.get(session.id) if session else None
        mode: AgentMode = session.mode if session else self.runtime.settings.mode
        model, window = model_label(self.runtime, session.model if session else None, mode)
        self.status = SessionStatus(
            mode=mode,
            permission_mode=agent.deps.permissions.mode if agent else self.runtime.permission_mode,
            model=model,
            context_window=window,
            title=session.title if session else None,
        )
        self.workers.cancel_group(self, "follow")
        old, self.chat = self.chat, self._new_chat()
        await old.remove()
        await self.query_one("#main").mount(self.chat, before=0)
        if session is None:
            await self._welcome()
        else:
            self._follow(session.id, self.chat)
        self.refresh_status()
        await self._reload_sidebar()

    async def _welcome(self) -> None:
        self.chat.live = True
        text = f"New session. /help lists commands and keys.\nWorkspace: {self.runtime.workspace}"
        await self.chat.mount(NoticeView(Text(text)))
        hint = provider_hint(self.runtime)
        if hint is not None:
            await self.chat.mount(NoticeView(Text(hint), classes="-error", id="provider-hint"))

    @work(exclusive=True, group="follow")
    async def _follow(self, session_id: str, chat: ChatLog) -> None:
        after = 0
        while True:
            page = await self.runtime.store.events_after(session_id, after, REPLAY_PAGE)
            for stored in page:
                await self._apply(chat, stored)
            if len(page) < REPLAY_PAGE:
                break
            after = page[-1].seq
        await chat.flush()
        async with self.runtime.hub.subscribe(session_id, after_seq=chat.last_seq) as events:
            async for stored in events:
                await self._apply(chat, stored)

    async def _apply(self, chat: ChatLog, stored: Any) -> None:
        try:
            await chat.apply(stored)
        except Exception:  # one bad event must not end the live view
            log.exception("rendering event %s of %s", stored.seq, stored.session_id)

    async def _ensure_session(self) -> SessionRecord:
        if self.session is not None:
            return self.session
        wanted = self.status.permission_mode
        session = await self.runtime.new_session(mode=self.status.mode, model=self.pending_model)
        await self.open_session(session)
        if wanted != session.permission_mode:
            await self.send(SetPermissionMode(permission_mode=wanted))
        return session

    async def send(self, op: Op) -> bool:
        """Hand an op to the current session's agent; errors become notifications."""
        session = await self._ensure_session()
        agent = await self.runtime.agent(session)
        try:
            await agent.handle(op)
        except CodesmError as exc:
            self.notify(str(exc), severity="error")
            return False
        return True

    async def _reload_sidebar(self) -> None:
        sidebar = self.query_one(Sidebar)
        if sidebar.has_class("-open"):
            await sidebar.load_sessions(self.runtime, self.session.id if self.session else None)

    # --- status ------------------------------------------------------------------------------

    def refresh_status(self) -> None:
        status = self.status
        self.query_one(StatusBar).show(status)
        self.query_one(TodoPanel).show(status.todos)
        self.query_one(Sidebar).show_status(status)
        where = self.runtime.workspace.name or str(self.runtime.workspace)
        title = status.title or ("new session" if self.session is None else "untitled")
        self.query_one("#header", Static).update(
            Text.assemble(("codesm", "bold"), f"  {where}  ·  {title}")
        )
        for call_id in [c for c in self._approval_screens if c not in self.chat.approvals]:
            screen = self._approval_screens.pop(call_id)
            if screen.is_current:
                screen.dismiss(None)

    @on(StatusChanged)
    async def _status_changed(self, event: StatusChanged) -> None:
        title = self.query_one("#header", Static).visual
        self.refresh_status()
        if self.status.title and self.status.title not in str(title):
            await self._reload_sidebar()

    # --- prompt and commands -----------------------------------------------------------------

    @on(PromptSubmitted)
    async def _prompt_submitted(self, event: PromptSubmitted) -> None:
        try:
            command = parse_slash(event.text)
        except SlashError as exc:
            self.notify(str(exc), severity="warning")
            return
        if command is not None:
            await self.run_slash(command)
            return
        hint = provider_hint(self.runtime)
        if hint is not None:
            self.notify(hint, severity="error", timeout=10)
            return
        await self.send(SubmitPrompt(text=event.text))

    async def run_slash(self, command: SlashCommand) -> None:
        await slash.run_slash(self, command)

    async def set_mode(self, mode: AgentMode) -> None:
        if self.session is None:
            self.status.mode = mode
            self.status.model, self.status.context_window = model_label(
                self.runtime, self.pending_model, mode
            )
            self.refresh_status()
        else:
            await self.send(SetMode(mode=mode))

    async def set_permission_mode(self, mode: PermissionMode) -> None:
        if self.session is None:
            self.status.permission_mode = mode
            self.refresh_status()
        else:
            await self.send(SetPermissionMode(permission_mode=mode))

    async def set_model(self, model: str) -> None:
        if self.session is not None:
            await self.send(SetModel(model=model))
            return
        try:
            resolved = self.runtime.models.resolve(model, self.status.mode)
        except CodesmError as exc:
            self.notify(str(exc), severity="error")
            return
        self.pending_model = model
        self.status.model, self.status.context_window = (
            resolved.info.id, resolved.info.context_window
        )  # fmt: skip
        self.refresh_status()

    # --- approvals ---------------------------------------------------------------------------

    @on(ApprovalNeeded)
    def _approval_needed(self, event: ApprovalNeeded) -> None:
        request = event.request
        agent = self.runtime.agents.get(self.session.id) if self.session else None
        if agent is None or request.call_id not in agent.approvals.pending:
            return  # decided elsewhere, or owned by another process
        if request.call_id in self._approval_screens:
            return
        screen = approval_screen(request)
        self._approval_screens[request.call_id] = screen

        async def answered(decision: ApprovalDecision | None) -> None:
            self._approval_screens.pop(request.call_id, None)
            await self.answer(request, decision)

        self.push_screen(screen, answered)

    async def answer(self, request: ApprovalRequested, decision: ApprovalDecision | None) -> None:
        if decision is None:
            return  # the request went away (cancelled or answered elsewhere)
        if not decision.approved:
            await self.send(Deny(call_id=request.call_id, comment=decision.comment))
            return
        remember: Literal["session", "project"] | None = None
        if decision.always:
            remember = "project" if decision.project else "session"
        await self.send(Approve(call_id=request.call_id, hunks=decision.hunks, remember=remember))

    # --- actions -----------------------------------------------------------------------------

    def _modal_open(self) -> bool:
        return len(self.screen_stack) > 1

    async def action_toggle_mode(self) -> None:
        if self._modal_open() or self.prompt.completing:
            raise SkipAction()
        await self.set_mode("rush" if self.status.mode == "smart" else "smart")

    async def action_cancel_turn(self) -> None:
        if self.session is not None and self.status.running:
            await self.send(Cancel())

    async def action_new_session(self) -> None:
        await self.open_session(None)
        self.prompt.input.focus()

    def action_cycle_theme(self) -> None:
        current = THEMES.index(self.theme) if self.theme in THEMES else -1
        self.theme = THEMES[(current + 1) % len(THEMES)]
        self.notify(f"Theme: {self.theme}", timeout=2)

    async def action_toggle_sidebar(self) -> None:
        sidebar = self.query_one(Sidebar)
        sidebar.toggle_class("-open")
        await self._reload_sidebar()

    @on(SessionChosen)
    async def _session_chosen(self, event: SessionChosen) -> None:
        await self.switch_to(event.session_id)

    async def switch_to(self, session_id: str) -> None:
        session = await self.runtime.store.sessions.get(session_id)
        if session is None:
            self.notify("That session no longer exists.", severity="error")
            return
        await self.open_session(session)
        self.prompt.input.focus()

    async def action_pick_session(self) -> None:
        await dialogs.pick_session(self)

    async def action_pick_model(self) -> None:
        dialogs.pick_model(self)

    def action_connect(self) -> None:
        if self._modal_open():
            raise SkipAction()  # ctrl+a stays "start of line" in a modal's input
        dialogs.connect(self)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield from slash.palette_commands(self)
