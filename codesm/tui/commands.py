"""The `/` commands of the prompt, parsed into what the app should do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

from codesm.agent.events import PermissionMode

SLASH_COMMANDS: dict[str, str] = {
    "/compact": "summarise the conversation so far (optional instructions)",
    "/mode": "switch smart/rush (or /mode smart, /mode rush)",
    "/smart": "use strong models",
    "/rush": "use fast, cheap models",
    "/model": "/model NAME switches the model; alone it lists them",
    "/models": "pick a model from the list",
    "/permissions": "review | auto-edit | allow-all | dry-run",
    "/context": "show what fills the model's context window",
    "/cost": "what this session, today and each model cost (`codesm usage` for more)",
    "/new": "start a new session",
    "/sessions": "browse and switch sessions",
    "/connect": "connect a model provider (paste an API key)",
    "/undo": "undo the last applied change",
    "/redo": "redo the last undone change",
    "/steer": "/steer N MESSAGE tells running subagent N (2, 1.2, id start) before its next step",
    "/stop-subagent": "/stop-subagent N cancels running subagent N alone (2, 1.2, id start)",
    "/theme": "pick a theme",
    "/help": "list the commands and keys",
}
PERMISSION_MODES: tuple[str, ...] = get_args(PermissionMode)
SUBAGENT_REF = "a running subagent's number as shown (2, or 1.2 when nested) or its id's start"


@dataclass(frozen=True)
class SlashCommand:
    name: str
    """The command without its slash (`compact`, `mode`...)."""
    argument: str = ""


class SlashError(ValueError):
    """A `/` command that cannot run as typed; the message says what to type instead."""


def parse_slash(text: str) -> SlashCommand | None:
    """The `/` command in `text`, None when it is an ordinary prompt; raises `SlashError`."""
    stripped = text.strip()
    if not stripped.startswith("/") or stripped.startswith("//"):
        return None
    word, _, argument = stripped.partition(" ")
    if word not in SLASH_COMMANDS:
        if "/" in word[1:]:
            return None  # a path such as /etc/hosts is a prompt, not a command
        raise SlashError(f"Unknown command {word}. Type /help for the list.")
    argument = argument.strip()
    name = word[1:]
    if name in ("smart", "rush"):
        return SlashCommand("mode", name)
    if name == "mode" and argument not in ("", "smart", "rush"):
        raise SlashError("Use /mode, /mode smart or /mode rush.")
    _, _, message = argument.partition(" ")
    if name == "steer" and not message.strip():
        raise SlashError(f"Use /steer N MESSAGE, N being {SUBAGENT_REF}.")
    if name == "stop-subagent" and (not argument or " " in argument):
        raise SlashError(f"Use /stop-subagent N, N being {SUBAGENT_REF}.")
    if name == "permissions" and argument not in PERMISSION_MODES:
        raise SlashError(f"Use /permissions {' | '.join(PERMISSION_MODES)}.")
    return SlashCommand(name, argument)


def completions(prefix: str) -> list[tuple[str, str]]:
    """The commands that start with `prefix` (for the prompt's dropdown)."""
    return [(name, help) for name, help in SLASH_COMMANDS.items() if name.startswith(prefix)]


HELP_TEXT = "\n".join(
    [
        "Commands: " + ", ".join(SLASH_COMMANDS),
        "Keys: tab smart/rush · ctrl+p commands · ctrl+a connect · ctrl+n new session · "
        "ctrl+t theme · ctrl+b sidebar · esc cancel · ctrl+c quit · @ mention a file",
    ]
)
