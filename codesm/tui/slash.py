"""What the `/` commands and the Ctrl+P palette entries do: each becomes an op for the current
session's agent, a modal, or a change of what the app shows. The app delegates to these."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import SystemCommand

from codesm.agent.events import PermissionMode
from codesm.agent.ops import (
    CancelSubagent,
    Compact,
    Op,
    RedoChange,
    ShowContext,
    SteerSubagent,
    UndoChange,
)
from codesm.store.usage_reports import UsageFilter, UsageReports
from codesm.tui.chat import NoticeView
from codesm.tui.commands import HELP_TEXT, PERMISSION_MODES, SlashCommand
from codesm.tui.subagent_refs import RunningSubagent, resolve_subagent

if TYPE_CHECKING:
    from codesm.tui.app import CodesmApp

log = logging.getLogger(__name__)

COST_MODELS = 5
NEEDS_SESSION = {
    "compact": "Nothing to compact yet: this session has no messages.",
    "context": "Nothing in the context yet: send a prompt first.",
    "undo": "Nothing to undo yet: this session has no changes.",
    "redo": "Nothing to redo yet: this session has no changes.",
}


async def run_slash(app: CodesmApp, command: SlashCommand) -> None:
    arg = command.argument
    match command.name:
        case "compact":
            await session_op(app, "compact", Compact(instructions=arg or None))
        case "mode":
            await app.set_mode(arg or ("rush" if app.status.mode == "smart" else "smart"))  # type: ignore[arg-type]
        case "model" | "models":
            await (app.set_model(arg) if arg else app.action_pick_model())
        case "cost":
            await show_cost(app)
        case "permissions":
            await app.set_permission_mode(arg)  # type: ignore[arg-type]
        case "new":
            await app.action_new_session()
        case "sessions":
            await app.action_pick_session()
        case "connect":
            app.action_connect()
        case "context":
            await session_op(app, "context", ShowContext())
        case "undo":
            await session_op(app, "undo", UndoChange())
        case "redo":
            await session_op(app, "redo", RedoChange())
        case "steer" | "stop-subagent":
            await control_subagent(app, command)
        case "theme":
            app.action_change_theme()
        case _:
            await show_help(app)


async def session_op(app: CodesmApp, what: str, op: Op) -> None:
    """Send `op` to the current session; before the first prompt there is none to act on, and
    none is created just for it."""
    if app.session is None:
        app.notify(NEEDS_SESSION[what], severity="warning")
        return
    if isinstance(op, Compact):
        if app.status.running:
            app.notify("A turn is running: compact when it has finished.", severity="warning")
            return
        app.notify("Summarising the conversation…", timeout=3)
        app.run_worker(_compact(app, op), group="compact", exclusive=True)
        return
    await app.send(op)


async def _compact(app: CodesmApp, op: Compact) -> None:
    """A model call: run as a worker so the app stays live, and never end the app on failure."""
    try:
        await app.send(op)
    except Exception as exc:  # a failed summary is reported, the session goes on
        log.exception("compacting %s", app.session.id if app.session else None)
        app.notify(f"Compacting failed: {exc}", severity="error")


def running_subagents(app: CodesmApp) -> list[RunningSubagent]:
    """The session's running subagents at every depth, oldest tool call first."""
    return [each for view in app.chat.tools.values() for each in view.running()]


async def control_subagent(app: CodesmApp, command: SlashCommand) -> None:
    """`/steer N MESSAGE` or `/stop-subagent N`: N names a running subagent of the session at
    any depth, as `subagent_refs` reads it."""
    ref, _, message = command.argument.partition(" ")
    target = resolve_subagent(running_subagents(app), ref)
    if isinstance(target, str) or app.session is None:
        app.notify(target if isinstance(target, str) else "No session yet.", severity="warning")
        return
    child = target.session_id
    op: SteerSubagent | CancelSubagent = (
        SteerSubagent(child_session_id=child, text=message.strip())
        if command.name == "steer"
        else CancelSubagent(child_session_id=child)
    )
    problem = await app.runtime.subagents.control(app.session.id, op)
    if problem is not None:
        app.notify(problem, severity="warning")
    else:
        done = "Sent to" if command.name == "steer" else "Stopping"
        app.notify(f"{done} subagent {target.label}.", timeout=3)


async def show_help(app: CodesmApp) -> None:
    await app.chat.mount(NoticeView(Text(HELP_TEXT)))
    app.chat.scroll_end(animate=False)


async def show_cost(app: CodesmApp) -> None:
    """This session's cost (its subagents included), today's in this workspace, and the
    workspace's most expensive models: the web UI's costs dashboard in a few lines."""
    reports = UsageReports(app.runtime.store.db)
    project = app.runtime.project_id
    midnight = datetime.now().astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
    today = await reports.totals(UsageFilter(since=midnight, project_id=project))
    lines = [f"cost today in this workspace: ${today.cost_usd:.4f}"]
    if app.session is not None:
        session = await reports.totals(UsageFilter(session_id=app.session.id))
        lines.insert(0, f"cost of this session:         ${session.cost_usd:.4f}")
    models = (await reports.grouped("model", UsageFilter(project_id=project)))[:COST_MODELS]
    lines += [f"  {g.label:<28} ${g.totals.cost_usd:.4f}" for g in models]
    lines.append("`codesm usage --by day|model|session|agent|tool` for more")
    await app.chat.mount(NoticeView(Text("\n".join(lines))))
    app.chat.scroll_end(animate=False)


def palette_commands(app: CodesmApp) -> Iterator[SystemCommand]:
    """The app's own Ctrl+P entries (after Textual's: theme, keys, quit...)."""

    def op(what: str, make: Callable[[], Op]) -> Callable[[], Awaitable[None]]:
        return lambda: session_op(app, what, make())

    def permission(mode: PermissionMode) -> Callable[[], Awaitable[None]]:
        return lambda: app.set_permission_mode(mode)

    yield SystemCommand("New session", "Start a new session (ctrl+n)", app.action_new_session)
    yield SystemCommand("Sessions", "Switch to another session", app.action_pick_session)
    yield SystemCommand("Toggle smart/rush", "Switch the agent mode (tab)", app.action_toggle_mode)
    yield SystemCommand("Model", "Pick the model", app.action_pick_model)
    yield SystemCommand("Connect provider", "Paste an API key (ctrl+a)", app.action_connect)
    yield SystemCommand("Compact", "Summarise the conversation", op("compact", Compact))
    yield SystemCommand("Context", "What fills the context window", op("context", ShowContext))
    yield SystemCommand("Costs", "What this session and today cost", lambda: show_cost(app))
    yield SystemCommand("Undo change", "Undo the last applied change", op("undo", UndoChange))
    yield SystemCommand("Redo change", "Redo the last undone change", op("redo", RedoChange))
    yield SystemCommand("Toggle sidebar", "Sessions, context and cost (ctrl+b)",
                        app.action_toggle_sidebar)  # fmt: skip
    yield SystemCommand("Help", "List the / commands and keys", lambda: show_help(app))
    for mode in PERMISSION_MODES:
        yield SystemCommand(
            f"Permission mode: {mode}",
            "How tool calls are approved",
            permission(mode),  # type: ignore[arg-type]
        )
