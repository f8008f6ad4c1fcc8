from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from codesm.agent.permissions.audit import JsonlAuditSink, read_audit_log
from codesm.agent.permissions.engine import PermissionEngine, ToolRequest
from codesm.agent.tools.todo_store import SessionTodoStore, TodoItem
from codesm.cli import main
from codesm.paths import audit_log_path
from codesm.store import Store
from tests.support.agent_harness import agent_harness
from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn


async def test_the_task_list_survives_reopening_the_database(tmp_path: Path) -> None:
    async with await Store.open(tmp_path / "db.sqlite") as store:
        session = await store.sessions.create()
        todos = SessionTodoStore(store)
        await todos.save(session.id, [TodoItem(id="1", content="write tests", status="pending")])
    async with await Store.open(tmp_path / "db.sqlite") as store:
        items = await SessionTodoStore(store).load(session.id)
    assert items == [TodoItem(id="1", content="write tests", status="pending")]


async def test_todo_write_from_the_model_is_kept_per_session(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    todos = [{"id": "a", "content": "read the code", "status": "in_progress"}]
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("todo_write", {"todos": todos})]), Turn(text="Planned.")
    )
    async with agent_harness(tmp_path, scripted_llm) as h:
        h.agent.deps.todos = SessionTodoStore(h.store)
        await h.agent.run_turn("plan")
        results = [s.event for s in await h.events() if s.event.type == "tool_call_finished"]
        stored = await h.store.todos.load(h.session_id)
        other = await h.store.sessions.create()
        assert await h.store.todos.load(other.id) == []
    assert stored == todos, results  # the tool result says why when it fails


def test_every_decision_is_appended_to_the_audit_log(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    engine = PermissionEngine(workspace_root=tmp_path, audit=JsonlAuditSink(path))
    engine.decide(ToolRequest(tool="bash", command="git status", session_id="s1"))
    engine.decide(ToolRequest(tool="bash", command="rm -rf build", session_id="s1"))
    records = read_audit_log(path)
    assert [(r.subject, r.action) for r in records] == [
        ("git status", "allow"),
        ("rm -rf build", "ask"),
    ]
    assert records[0].rule_source == "builtin" and records[0].session_id == "s1"


def test_audit_log_skips_a_torn_last_line(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    engine = PermissionEngine(workspace_root=tmp_path, audit=JsonlAuditSink(path))
    engine.decide(ToolRequest(tool="bash", command="ls"))
    with path.open("a") as handle:
        handle.write('{"at": "2026-')
    assert len(read_audit_log(path)) == 1


def test_permissions_audit_command_prints_the_newest_decisions(tmp_path: Path) -> None:
    engine = PermissionEngine(workspace_root=tmp_path, audit=JsonlAuditSink(audit_log_path()))
    for command in ("ls", "cat a", "git push"):
        engine.decide(ToolRequest(tool="bash", command=command))
    result = CliRunner().invoke(main, ["permissions", "audit", "--limit", "2", "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["subject"] for line in lines] == ["cat a", "git push"]
