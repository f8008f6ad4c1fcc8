"""`/` commands typed in the composer, read on the server before the text becomes a prompt.

A submitted text is a command when its first word is `/` and letters (`/compact keep the API`);
anything else, `/usr/bin/env is missing` included, is a prompt, and `//text` sends `/text`.
A command becomes an op for the agent, a reply shown under the transcript, or both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from codesm.agent.ops import (
    Compact,
    Op,
    RedoChange,
    SetMode,
    SetModel,
    ShowContext,
    SubmitPrompt,
    UndoChange,
)

COMMAND = re.compile(r"/([a-z]+)(?:\s+(.*))?", re.DOTALL)
COMMANDS: dict[str, str] = {
    "compact": "Summarise earlier messages to free context (optional: what to keep)",
    "context": "Show what fills the context window",
    "cost": "Open the costs dashboard",
    "mode": "Switch between smart and rush (or /mode smart, /mode rush)",
    "smart": "Use smart mode",
    "rush": "Use rush mode",
    "model": "Use another model: /model NAME",
    "models": "Pick a model in the status bar",
    "connect": "Connect a model provider",
    "new": "Start a new session",
    "session": "This session's id, title and times; /session ID opens another",
    "status": "Mode, permission mode, model, context used, cost and whether a turn runs",
    "theme": "Switch theme: /theme light, dark or contrast (alone: the next one)",
    "undo": "Undo the last applied change",
    "redo": "Redo the last undone change",
    "help": "List these commands",
}
"""Every command with its one-line help, in the order `/help` and completion show them."""
COSTS_LINK = ("/costs", "Open the costs dashboard")
THEMES = ("system", "light", "dark", "contrast")
"""The page's themes in the order Ctrl+T cycles them (`system` follows the OS setting)."""
THEME_NAMES = {"high-contrast": "contrast", "hc": "contrast", **{t: t for t in THEMES}}


@dataclass(frozen=True)
class CommandReply:
    """What a command does: an op to send to the agent and/or a reply for the user."""

    op: Op | None = None
    text: str = ""
    kind: Literal["info", "warn", "error"] = "info"
    link: tuple[str, str] | None = None
    """(href, label) of a link shown with the reply (``/cost``, ``/new``)."""
    navigate: bool = False
    """Follow `link` at once (the page's script does it)."""
    help: bool = False
    new_session: bool = False
    connect: bool = False
    theme: str | None = None
    """A theme for this browser to use (``next``: the one after the current), applied by the
    page's script; themes live in the browser, not on the server."""
    status: bool = False
    """Answer with the session's status line (read by the socket, which knows the session)."""
    session: str | None = None
    """`/session [ID]`: "" describes this session, an id (prefix) opens that one."""


def read_command(op: SubmitPrompt, current_mode: str) -> CommandReply | SubmitPrompt | None:
    """The command in a submitted prompt; the prompt itself when it is not one (`//x` is `/x`).

    None for a text that asks nothing (empty)."""
    text = op.text.strip()
    if text.startswith("//"):
        return op.model_copy(update={"text": text[1:]})
    found = COMMAND.fullmatch(text)
    if found is None:
        return op if text else None
    name, rest = found.group(1), (found.group(2) or "").strip()
    if name not in COMMANDS:
        return CommandReply(
            text=f"Unknown command /{name}. Type /help for the list, or //{name} to send it.",
            kind="error",
        )
    return _command(name, rest, current_mode)


def _command(name: str, rest: str, current_mode: str) -> CommandReply:
    match name:
        case "compact":
            return CommandReply(Compact(instructions=rest or None), "Compacting the conversation…")
        case "context":
            return CommandReply(ShowContext())
        case "cost":
            return CommandReply(text="Spending by day, model and session:", link=COSTS_LINK)
        case "mode" | "smart" | "rush":
            wanted = rest if name == "mode" else name
            if not wanted:
                wanted = "rush" if current_mode == "smart" else "smart"
            if wanted not in ("smart", "rush"):
                return CommandReply(text="Modes are smart and rush.", kind="error")
            return CommandReply(SetMode(mode=wanted))  # type: ignore[arg-type]
        case "model":
            if not rest:
                return CommandReply(text="Say which model: /model NAME.", kind="warn")
            return CommandReply(SetModel(model=rest.split()[0]))
        case "models":
            return CommandReply(text="Pick a model with the model menu in the status bar.")
        case "connect":
            return CommandReply(connect=True)
        case "new":
            return CommandReply(new_session=True)
        case "theme":
            theme = THEME_NAMES.get(rest.lower()) if rest else "next"
            if theme is None:
                return CommandReply(
                    text="Themes are light, dark, contrast and system.", kind="error"
                )
            return CommandReply(text="Theme switched.", theme=theme)
        case "status":
            return CommandReply(status=True)
        case "session":
            return CommandReply(session=rest.split()[0] if rest else "")
        case "undo":
            return CommandReply(UndoChange())
        case "redo":
            return CommandReply(RedoChange())
        case _:
            return CommandReply(help=True)


def complete_commands(prefix: str) -> list[tuple[str, str]]:
    """Commands starting with `prefix` (without its `/`), with their help."""
    return [(name, text) for name, text in COMMANDS.items() if name.startswith(prefix.lower())]
