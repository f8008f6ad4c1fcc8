"""A tool card's subagent rows, folded from `subagent_*` events.

Each subagent the tool call started has a row; the subagents a subagent starts are nested under
its row (their progress names the row they run under). Rows carry the numbers the TUI shows
(`1`, `1.2`), so a row can be matched to `/steer 1.2` there. A row is added once; later events only
change its state line, and its controls when it stops running, so a steer message being typed
in the row survives the live updates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from codesm.agent.events import SubagentFinished, SubagentProgress, SubagentStarted
from codesm.web.render.view import SubagentView, ToolView

SubagentEvent = SubagentStarted | SubagentFinished | SubagentProgress


@dataclass(frozen=True)
class RowUpdate:
    """What one event changed: `row`, new in `holder` when `created`; `controls_changed` when
    it started or stopped running (the steer and cancel forms come or go)."""

    row: SubagentView
    holder: str
    created: bool
    controls_changed: bool


def fold_subagent(tool: ToolView, event: SubagentEvent, at: datetime) -> RowUpdate | None:
    """Fold `event` (committed at `at`) into `tool`'s rows; None when it has no row to go in."""
    rows, holder = tool.subagents, f"{tool.dom}-subagents"
    under = event.parent_child_session_id if isinstance(event, SubagentProgress) else None
    parent = None
    if under is not None:
        parent = find_subagent(tool.subagents, under)
        if parent is None:
            return None
        rows, holder = parent.children, f"{parent.dom}-children"
    row = rows.get(event.child_session_id)
    created = row is None
    if row is None:
        label = number(event, parent, len(rows))
        row = SubagentView(event.child_session_id, event.subagent_type, event.model, label)
        rows[event.child_session_id] = row
    was_running = row.running
    update_subagent(row, event, at)
    return RowUpdate(row, holder, created, was_running != row.running)


def number(event: SubagentEvent, parent: SubagentView | None, siblings: int) -> str:
    """A new row's number, as `codesm.tui.tools` gives it (what `/steer` takes): the tool call's
    task index plus one; a nested subagent, its parent's number and its place among its
    siblings in the order they first reported (`1.2`). Folding the same events again on a
    reload gives the same numbers."""
    if parent is not None:
        return f"{parent.label}.{siblings + 1}"
    if isinstance(event, SubagentStarted | SubagentFinished):
        return str(event.index + 1)
    return str(siblings + 1)  # progress before its start: not sent so, but keep a number


def find_subagent(rows: dict[str, SubagentView], session_id: str) -> SubagentView | None:
    """The row of `session_id` among `rows` and their nested rows, at any depth."""
    if session_id in rows:
        return rows[session_id]
    for row in rows.values():
        found = find_subagent(row.children, session_id)
        if found is not None:
            return found
    return None


def update_subagent(row: SubagentView, event: SubagentEvent, at: datetime) -> None:
    match event:
        case SubagentStarted():
            row.description = event.description
            row.started_at = row.started_at or at.timestamp()
        case SubagentFinished():
            row.status, row.summary, row.step = event.status, event.summary, event.steps or row.step
            row.cost_usd, row.duration_s = event.cost_usd, event.duration_s
            row.input_tokens = event.input_tokens or row.input_tokens
            row.output_tokens = event.output_tokens or row.output_tokens
        case SubagentProgress() if row.running or event.status != "running":
            row.description = event.description or row.description
            row.model = event.model or row.model
            row.status, row.step, row.activity = event.status, event.step, event.activity
            row.duration_s, row.cost_usd = event.elapsed_s, event.cost_usd
            row.input_tokens = event.input_tokens or row.input_tokens
            row.output_tokens = event.output_tokens or row.output_tokens
            # the start as the server's clock saw it, so a page can tick the elapsed time
            row.started_at = row.started_at or at.timestamp() - event.elapsed_s
