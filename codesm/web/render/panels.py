"""The session page's side panels, derived from a `SessionRenderer`'s folded state: the agent's
task list (the last successful `todo_write` call's arguments) and the changes list (every change
applied in the session, with its +/- counts and undo or redo).

Nothing here keeps state of its own, so a replay and a live page show the same panels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from codesm.agent.events import (
    ChangeApplied,
    ChangeProposed,
    ChangeRedone,
    ChangeRejected,
    ChangeUndone,
    Event,
    ToolCallFinished,
)
from codesm.agent.tools.todo_store import TodoItem
from codesm.web.render.diff import parse_unified_diff
from codesm.web.render.live import SessionRenderer

TODO_TOOL = "todo_write"
LISTED_STATUSES = ("applied", "undone")
CHANGE_EVENTS = (ChangeProposed, ChangeApplied, ChangeRejected, ChangeUndone, ChangeRedone)


@dataclass(frozen=True)
class ChangeRow:
    change_id: str
    paths: list[str]
    added: int
    removed: int
    status: str

    @property
    def undoable(self) -> bool:
        return self.status == "applied"


def todo_items(renderer: SessionRenderer) -> list[TodoItem] | None:
    """The newest task list the agent wrote (None when it never wrote one)."""
    for tool in reversed(renderer.tools.values()):
        if tool.name != TODO_TOOL or tool.result is None or tool.is_error:
            continue
        items = _todos(tool.arguments.get("todos"))
        if items is not None:
            return items
    return None


def _todos(raw: Any) -> list[TodoItem] | None:
    if not isinstance(raw, list):
        return None
    try:
        return [TodoItem.model_validate(item) for item in raw]
    except ValidationError:
        return None


def change_rows(renderer: SessionRenderer) -> list[ChangeRow]:
    """Applied and undone changes, newest first."""
    rows = []
    for change in reversed(renderer.changes.values()):
        if change.status not in LISTED_STATUSES:
            continue
        parsed = parse_unified_diff(change.diff)
        rows.append(
            ChangeRow(change.change_id, change.paths, parsed.added, parsed.removed, change.status)
        )
    return rows


def changed_paths(renderer: SessionRenderer) -> frozenset[str]:
    """Every file a change applied in the session touched (not counting undone ones), with the
    folders above them, so the file tree can mark both."""
    marked: set[str] = set()
    for change in renderer.changes.values():
        if change.status != "applied":
            continue
        for path in change.paths:
            parts = path.strip("/").split("/")
            marked.update("/".join(parts[: n + 1]) for n in range(len(parts)))
    return frozenset(marked)


def panels(renderer: SessionRenderer, macros: Any) -> str:
    """Both panels, for a replay."""
    return str(macros.todo_panel(todo_items(renderer))) + str(
        macros.changes_list(change_rows(renderer))
    )


def panel_fragments(renderer: SessionRenderer, event: Event, macros: Any) -> list[str]:
    """The panels an event (already folded into `renderer`) changes, as fragments to push."""
    if isinstance(event, CHANGE_EVENTS):
        return [str(macros.changes_list(change_rows(renderer)))]
    if isinstance(event, ToolCallFinished):
        tool = renderer.tools.get(event.call_id)
        if tool is not None and tool.name == TODO_TOOL and not event.is_error:
            return [str(macros.todo_panel(todo_items(renderer)))]
    return []
