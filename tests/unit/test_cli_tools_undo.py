"""`codesm tools use` writes go through the undo journal: `codesm tools undo` and the agent's undo
(the `/undo` of the thread, in the TUI or the web) both put the file back."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from codesm.agent.changes.manual_thread import MANUAL_LABEL
from codesm.agent.events import ChangeApplied, ChangeUndone
from codesm.agent.ops import UndoChange
from codesm.agent.runtime import Runtime
from tests.unit.cli_support import codesm

EDIT = json.dumps({"path": "app.py", "old_string": "print('hi')", "new_string": "print('bye')"})


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "app.py").write_text("print('hi')\n")
    monkeypatch.chdir(ws)
    return ws


def test_an_edit_made_with_tools_use_is_undone_by_tools_undo(workspace: Path) -> None:
    used = codesm("--permission-mode", "auto-edit", "tools", "use", "edit", "--args", EDIT)
    assert used.exit_code == 0, used.output
    assert (workspace / "app.py").read_text() == "print('bye')\n"
    assert "codesm tools undo" in used.stderr

    undone = codesm("tools", "undo")
    assert undone.exit_code == 0, undone.output
    assert (workspace / "app.py").read_text() == "print('hi')\n"
    assert codesm("tools", "undo").exit_code == 1  # nothing left to undo
    redone = codesm("tools", "undo", "--redo")
    assert redone.exit_code == 0 and (workspace / "app.py").read_text() == "print('bye')\n"


def test_the_change_is_listed_in_the_tools_use_thread_and_its_agent_can_undo_it(
    workspace: Path, tmp_path: Path
) -> None:
    used = codesm(
        "--permission-mode", "auto-edit", "tools", "use", "edit", "--args", EDIT, "--json"
    )
    assert used.exit_code == 0, used.output
    [change_id] = json.loads(used.stdout)["changes"]
    [thread] = json.loads(codesm("threads", "list", "--json", "--label", MANUAL_LABEL).stdout)

    async def undo_in_the_thread() -> list[object]:
        runtime = await Runtime.open(workspace)
        try:
            session = await runtime.store.sessions.require(thread["id"])
            agent = await runtime.agent(session)
            await agent.handle(UndoChange())
            return [e.event for e in await runtime.store.events.after(session.id)]
        finally:
            await runtime.aclose()

    events = asyncio.run(undo_in_the_thread())
    applied = [e for e in events if isinstance(e, ChangeApplied)]
    assert [e.change_id for e in applied] == [change_id] and "+print('bye')" in (
        applied[0].diff or ""
    )
    assert [e.change_id for e in events if isinstance(e, ChangeUndone)] == [change_id]
    assert (workspace / "app.py").read_text() == "print('hi')\n"


def test_a_read_only_tool_creates_no_thread(workspace: Path) -> None:
    assert codesm("tools", "use", "read", "--args", '{"path": "app.py"}').exit_code == 0
    assert json.loads(codesm("threads", "list", "--json").stdout) == []
