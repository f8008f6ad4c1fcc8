"""The first load of a long session folds only the turns the page shows (`tail_fold`), yet the
page is the one a fold of the whole log renders: the same newest turns, the same count of hidden
ones, and the status bar, changes list, task list and Context panel that older turns set."""

from __future__ import annotations

from pathlib import Path

import pytest

from codesm.agent.events import (
    AssistantMessage,
    ChangeApplied,
    ChangeProposed,
    ChangeUndone,
    ContextReport,
    Error,
    Event,
    ModeChanged,
    Title,
    ToolCallFinished,
    ToolCallStarted,
    TurnFinished,
    TurnStarted,
    Usage,
    UserMessage,
)
from codesm.web import session_state
from codesm.web.context import WebContext
from codesm.web.render.live import MAX_TURNS_SHOWN, SessionRenderer
from codesm.web.render.panels import changed_paths, panels
from codesm.web.session_state import load_renderer
from tests.unit.web_support import client_for, make_web_app, new_session

TURNS = MAX_TURNS_SHOWN + 30
TODOS = [{"id": "1", "content": "Write the parser", "status": "in_progress"}]
DIFF = "--- a/src/old.py\n+++ b/src/old.py\n@@ -1 +1,2 @@\n x\n+y\n"


def _turn(n: int) -> list[Event]:
    """One finished turn; a few of the oldest (never shown) set what the page still shows."""
    tid = f"t{n}"
    events: list[Event] = [TurnStarted(turn_id=tid), UserMessage(turn_id=tid, text=f"ask {n}")]
    if n == 0:
        todo = {"todos": TODOS}
        events += [
            ToolCallStarted(turn_id=tid, call_id="todo0", name="todo_write", arguments=todo),
            ToolCallFinished(turn_id=tid, call_id="todo0", content="ok"),
            *_change(tid, "ch0", "src/old.py"),
            *_change(tid, "ch1", "lib/kept.py"),
            ContextReport(model="m", context_window=64_000, trigger="step", turn_id=tid),
            Error(turn_id=None, message="an old error", kind="x"),
        ]  # fmt: skip
    if n == 3:
        events += [ModeChanged(mode="rush"), Title(title="A title from long ago")]
    if n == TURNS - 5:
        events += [Error(turn_id=tid, message="a recent error", kind="x")]
    if n == TURNS - 3:
        events += [ChangeUndone(change_id="ch0", paths=["src/old.py"], turn_id=tid)]
    tokens = 1_000 + n
    events += [
        AssistantMessage(turn_id=tid, text=f"answer **{n}**"),
        Usage(turn_id=tid, provider="p", model="m", input_tokens=tokens, cost_usd=0.0123),
        TurnFinished(turn_id=tid, status="completed"),
    ]
    return events


def _change(tid: str, change_id: str, path: str) -> list[Event]:
    return [
        ChangeProposed(
            turn_id=tid, call_id=change_id, change_id=change_id, paths=[path], diff=DIFF
        ),
        ChangeApplied(turn_id=tid, call_id=change_id, change_id=change_id, paths=[path]),
    ]


def _page(renderer: SessionRenderer, ctx: WebContext) -> str:
    m, status = ctx.macros("partials/live.html"), renderer.status
    parts = [renderer.transcript(), m.session_title(status), m.status_mode(status)]
    parts += [m.status_model(status), m.status_usage(status), m.run_state(status)]
    return "".join(map(str, parts)) + panels(renderer, ctx.macros("partials/panels.html"))


def test_a_long_session_first_loaded_from_its_tail_renders_as_a_full_fold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    web = make_web_app(tmp_path, tmp_path / "codesm.db")
    with client_for(web) as client:
        sid = new_session(client, web)
        ctx = client.app_state["web"]
        assert isinstance(ctx, WebContext) and client.portal is not None
        store = ctx.runtime.store
        for n in range(TURNS):
            client.portal.call(store.append_events, sid, _turn(n))
        session = client.portal.call(store.sessions.get, sid)
        assert session is not None
        tail = client.portal.call(load_renderer, ctx, session)
        tail_page = _page(tail, ctx)

        async def fold_nothing(*_: object, **__: object) -> None:
            return None

        ctx.folded = type(ctx.folded)()
        monkeypatch.setattr(session_state, "fold_tail", fold_nothing)
        full = client.portal.call(load_renderer, ctx, session)
        full_page = _page(full, ctx)
    assert len(tail.turns) == MAX_TURNS_SHOWN < len(full.turns) == TURNS
    assert tail_page == full_page
    assert f"{TURNS - MAX_TURNS_SHOWN} earlier turns not shown" in tail_page
    assert f"answer <strong>{TURNS - 1}</strong>" in tail_page and "ask 0<" not in tail_page
    assert "a recent error" in tail_page and "an old error" not in tail_page
    assert tail.status.title == "A title from long ago" and tail.status.mode == "rush"
    assert tail.status.context_window == 64_000 and tail.status.context_tokens == 1_000 + TURNS - 1
    assert tail.status.cost_usd == full.status.cost_usd
    assert "Write the parser" in tail_page
    assert changed_paths(tail) == changed_paths(full) == {"lib", "lib/kept.py"}
