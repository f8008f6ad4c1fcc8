"""The session page's side panels, derived from a `SessionRenderer`'s folded state: the agent's
task list (the last successful `todo_write` call's arguments), the changes list (every change
applied in the session, with its +/- counts and undo or redo) and the Context panel (the newest
`context_report`, see `context_panel`).

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
    ContextReport,
    Event,
    ToolCallFinished,
)
from codesm.agent.tools.todo_store import TodoItem
from codesm.web.render.context_panel import context_panel_view
from codesm.web.render.diff import parse_unified_diff
from codesm.web.render.live import SessionRenderer

TODO_TOOL = "todo_write"
LISTED_STATUSES = ("applied", "undone")
CHANGE_EVENTS = (ChangeProposed, ChangeApplied, ChangeRejected, ChangeUndone, ChangeRedone)
TREE_MARK_EVENTS = (ChangeApplied, ChangeUndone, ChangeRedone)


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


def tree_mark_fragments(renderer: SessionRenderer, event: Event, files_macros: Any) -> list[str]:
    """After a change is applied, undone or redone: the session's changed paths again, for the
    file tree's marks (`files.html` `changed_list`, swapped out of band)."""
    if isinstance(event, TREE_MARK_EVENTS):
        return [str(files_macros.changed_list(changed_paths(renderer), oob=True))]
    return []


def panels(renderer: SessionRenderer, macros: Any) -> str:
    """Every panel, for a replay."""
    return (
        str(macros.todo_panel(todo_items(renderer)))
        + str(macros.changes_list(change_rows(renderer)))
        + context_panel(renderer, macros)
    )


def context_panel(renderer: SessionRenderer, macros: Any) -> str:
    view = context_panel_view(renderer.context, opened=renderer.context_asked)
    return str(macros.context_panel(view))


def panel_fragments(renderer: SessionRenderer, event: Event, macros: Any) -> list[str]:
    """The panels an event (already folded into `renderer`) changes, as fragments to push."""
    if isinstance(event, CHANGE_EVENTS):
        return [str(macros.changes_list(change_rows(renderer)))]
    if isinstance(event, ContextReport):
        return [context_panel(renderer, macros)]
    if isinstance(event, ToolCallFinished):
        tool = renderer.tools.get(event.call_id)
        if tool is not None and tool.name == TODO_TOOL and not event.is_error:
            return [str(macros.todo_panel(todo_items(renderer)))]
    return []
