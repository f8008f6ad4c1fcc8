"""`codesm threads handoff`: draft the first prompt of a new thread from an old one.

The draft is built from the log: the goal (the user's first message, or the one given), a model's
summary of the thread when one could be had (`codesm.threads.summary`), else where the old thread
ended (its last answer) and the user's later instructions (the decisions taken along the way),
then the changes applied and the files the thread touched, most used first. The user edits it
before the new thread starts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from codesm.agent.events import (
    AssistantMessage,
    ChangeApplied,
    ChangeUndone,
    StoredEvent,
    ToolCallStarted,
    UserMessage,
)
from codesm.store import SessionRecord

MAX_ANSWER_CHARS = 2000
MAX_INSTRUCTION_CHARS = 300
MAX_FILES = 20
_PATH_ARGUMENTS = ("path", "file_path")


@dataclass
class HandoffNotes:
    """What the draft is made of; also useful as JSON."""

    goal: str = ""
    last_answer: str = ""
    instructions: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def _short(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def collect_notes(events: Iterable[StoredEvent], goal: str | None = None) -> HandoffNotes:
    notes = HandoffNotes(goal=goal.strip() if goal else "")
    users: list[str] = []
    touched: Counter[str] = Counter()
    changed: dict[str, None] = {}
    for stored in events:
        event = stored.event
        if isinstance(event, UserMessage) and event.text.strip():
            users.append(event.text)
        elif isinstance(event, AssistantMessage) and event.text.strip():
            notes.last_answer = event.text
        elif isinstance(event, ToolCallStarted):
            for key in _PATH_ARGUMENTS:
                value = event.arguments.get(key)
                if isinstance(value, str) and value.strip():
                    touched[value.strip()] += 1
        elif isinstance(event, ChangeApplied):
            for path in event.paths:
                changed[path] = None
                touched[path] += 2
        elif isinstance(event, ChangeUndone):
            for path in event.paths:
                changed.pop(path, None)
    if not notes.goal and users:
        notes.goal = users[0].strip()
    later = users[1:] if not goal else users
    notes.instructions = [_short(text, MAX_INSTRUCTION_CHARS) for text in later]
    notes.last_answer = _short(notes.last_answer, MAX_ANSWER_CHARS)
    notes.changed = list(changed)
    notes.files = [path for path, _ in touched.most_common(MAX_FILES)]
    return notes


def draft_prompt(session: SessionRecord, notes: HandoffNotes, summary: str | None = None) -> str:
    """The editable prompt for the new thread (with the model's `summary` when there is one)."""
    title = session.title or "untitled"
    parts = [
        f'This continues the thread "{title}" ({session.id[:8]}).',
        f"Goal:\n{notes.goal or '(state the goal here)'}",
    ]
    if summary:
        parts.append(f"Summary of the previous thread:\n{summary.strip()}")
    elif notes.last_answer:
        parts.append(f"Where the previous thread got to:\n{notes.last_answer}")
    if notes.instructions and not summary:
        parts.append(
            "Decisions and instructions from the previous thread:\n"
            + "\n".join(f"- {' '.join(line.split())}" for line in notes.instructions)
        )
    if notes.changed:
        parts.append("Files already changed:\n" + "\n".join(f"- {p}" for p in notes.changed))
    if notes.files:
        parts.append("Relevant files:\n" + "\n".join(f"- {p}" for p in notes.files))
    parts.append("Next step: continue towards the goal from where the previous thread stopped.")
    return "\n\n".join(parts) + "\n"
