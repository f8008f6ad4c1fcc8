"""The session page's task list and changes list, and the approval actions beside them: folded
from events, so a live page and a replay agree."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from codesm.agent.events import (
    ApprovalRequested,
    ChangeApplied,
    ChangeProposed,
    ChangeUndone,
    Event,
    StoredEvent,
    ToolCallFinished,
    ToolCallStarted,
    TurnStarted,
)
from codesm.web.app import TEMPLATES_DIR
from codesm.web.render.diff import parse_unified_diff
from codesm.web.render.live import SessionRenderer
from codesm.web.render.panels import change_rows, panel_fragments, panels, todo_items
from codesm.web.render.view import StatusView

DIFF = "--- a/notes.txt\n+++ b/notes.txt\n@@ -1,2 +1,2 @@\n alpha\n-beta\n+gamma\n+delta\n"
TODOS = [
    {"id": "1", "content": "Read the code", "status": "completed"},
    {"id": "2", "content": "Fix <the> bug", "status": "in_progress"},
]


@pytest.fixture(scope="module")
def env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True, undefined=StrictUndefined
    )
    env.globals.update(csrf_token="t", parse_diff=parse_unified_diff)
    return env


def fold(env: Environment, events: list[Event]) -> tuple[SessionRenderer, list[str]]:
    view = SessionRenderer(
        env.get_template("partials/live.html").module, StatusView("smart", "review", "m"), str
    )
    macros = env.get_template("partials/panels.html").module
    now = datetime.now(UTC)
    pushed: list[str] = []
    for seq, event in enumerate(events, 1):
        view.apply(StoredEvent(session_id="s", seq=seq, ts=now, event=event))
        pushed += panel_fragments(view, event, macros)
    return view, pushed


def todo_calls(*lists: list[dict[str, Any]], failed_last: bool = False) -> list[Event]:
    events: list[Event] = [TurnStarted(turn_id="t")]
    for n, todos in enumerate(lists):
        call = f"todo{n}"
        failed = failed_last and n == len(lists) - 1
        events += [
            ToolCallStarted(
                turn_id="t", call_id=call, name="todo_write", arguments={"todos": todos}
            ),
            ToolCallFinished(turn_id="t", call_id=call, content="ok", is_error=failed),
        ]
    return events


def test_the_task_list_is_the_last_successful_todo_write(env: Environment) -> None:
    first = [{"id": "1", "content": "Old plan", "status": "pending"}]
    view, pushed = fold(env, todo_calls(first, TODOS, [{"bad": 1}], failed_last=True))
    items = todo_items(view)
    assert items is not None and [t.content for t in items] == ["Read the code", "Fix <the> bug"]
    assert len(pushed) == 2 and 'id="todo-panel"' in pushed[-1]
    html = panels(view, env.get_template("partials/panels.html").module)
    assert "1/2" in html and "Fix &lt;the&gt; bug" in html and "todo-in-progress" in html


def test_without_a_todo_write_the_task_panel_stays_hidden(env: Environment) -> None:
    view, _ = fold(env, [TurnStarted(turn_id="t")])
    assert todo_items(view) is None
    assert '<section id="todo-panel" class="panel todo-panel" hidden' in panels(
        view, env.get_template("partials/panels.html").module
    )


def change_events() -> list[Event]:
    return [
        TurnStarted(turn_id="t"),
        ChangeProposed(turn_id="t", call_id="c1", change_id="ch1", paths=["notes.txt"], diff=DIFF),
        ChangeApplied(turn_id="t", call_id="c1", change_id="ch1", paths=["notes.txt"]),
        ChangeApplied(turn_id="t", call_id="c2", change_id="ch2", paths=["made.txt"]),
    ]


def test_the_changes_list_shows_each_applied_change_with_counts_and_undo(
    env: Environment,
) -> None:
    view, pushed = fold(env, change_events())
    rows = change_rows(view)
    assert [(r.change_id, r.added, r.removed, r.status) for r in rows] == [
        ("ch2", 0, 0, "applied"),
        ("ch1", 2, 1, "applied"),
    ]
    assert 'name="type" value="undo_change"' in pushed[-1]
    assert 'name="change_id" value="ch1"' in pushed[-1]
    assert 'id="change-ch2"' not in "".join(view.transcript())  # a command's change: list only


def test_an_undone_change_offers_redo(env: Environment) -> None:
    view, pushed = fold(
        env, [*change_events(), ChangeUndone(turn_id="t", change_id="ch1", paths=["notes.txt"])]
    )
    assert [r.status for r in change_rows(view)] == ["applied", "undone"]
    assert 'value="redo_change"' in pushed[-1] and "Redo notes.txt" in pushed[-1]


def approval_html(env: Environment, event: ApprovalRequested) -> str:
    view, _ = fold(env, [TurnStarted(turn_id="t"), event])
    return str(view.transcript())


def test_a_command_approval_offers_allow_always_for_this_session(env: Environment) -> None:
    html = approval_html(
        env, ApprovalRequested(turn_id="t", call_id="c9", kind="command", title="bash: make")
    )
    assert 'name="remember" value="session"' in html
    assert "Allow always for this session" in html


def test_a_budget_question_offers_to_raise_that_budget(env: Environment) -> None:
    title = "The session budget of $0.50 is spent ($0.5100). Continue, raise the budget, or stop?"
    html = approval_html(
        env, ApprovalRequested(turn_id="t", call_id="b1", kind="budget", title=title)
    )
    assert 'name="type" value="set_budget"' in html and 'name="scope" value="session"' in html
    assert 'name="usd"' in html and 'value="1.00"' in html and "Raise budget" in html
    assert "Allow always" not in html
