"""Messages the TUI's widgets send up to the app (dataclasses, as toolong does)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from codesm.agent.events import ApprovalRequested


@dataclass
class StatusChanged(Message):
    """The session's status (mode, model, usage, running...) changed; floods collapse to one."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StatusChanged)


@dataclass
class ApprovalNeeded(Message):
    """A live approval request the user must answer."""

    request: ApprovalRequested


@dataclass
class PromptSubmitted(Message):
    """The user pressed Enter in the prompt (text is stripped and not empty)."""

    text: str


@dataclass
class SessionChosen(Message):
    """A session was picked in the sidebar."""

    session_id: str
