"""Subagents through `codesm -x --stream-json` and the programmatic API, on the real runtime."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from codesm.agent.orchestrator import (
    OrchestrationPlan,
    SubAgentOrchestrator,
    spawn_parallel_subagents,
)
from codesm.agent.runtime import Runtime
from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn


def run_codesm(tmp_path: Path, server: ScriptedLLMServer, *args: str) -> list[dict[str, Any]]:
    workspace = tmp_path / "ws"
    workspace.mkdir(exist_ok=True)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.endswith(("_API_KEY", "_BASE_URL")) and key != "OLLAMA_HOST"
    }
    env.update(
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        HOME=str(tmp_path / "home"),
        ANTHROPIC_API_KEY="sk-ant-test-key",
        ANTHROPIC_BASE_URL=server.base_url,
    )
    done = subprocess.run(
        [sys.executable, "-m", "codesm", *args],
        capture_output=True,
        text=True,
        cwd=workspace,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_stream_json_marks_subagent_messages_with_the_parent_tool_use_id(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    call = {"subagent_type": "researcher", "prompt": "[h] look around", "description": "Look"}
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("task", call, id="toolu_task1")]),
        Turn(when="[h]", text="child says hi"),
        Turn(text="parent done"),
    )
    out = run_codesm(tmp_path, scripted_llm, "-x", "delegate", "--stream-json")
    child = [o for o in out if o.get("parent_tool_use_id") == "toolu_task1"]
    texts = [
        b.get("text") for o in child if o["type"] == "assistant" for b in o["message"]["content"]
    ]
    assert texts == ["child says hi"]
    result_at = next(
        i
        for i, o in enumerate(out)
        if o["type"] == "user"
        and o["parent_tool_use_id"] is None
        and o["message"]["content"][0].get("tool_use_id") == "toolu_task1"
    )
    assert max(out.index(o) for o in child) < result_at
    assert out[-1]["type"] == "result" and out[-1]["result"] == "parent done"
    assert out[-1]["num_turns"] == 2


@pytest.fixture
async def runtime(tmp_path: Path, scripted_llm: ScriptedLLMServer) -> Any:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    env = {"ANTHROPIC_API_KEY": "sk-ant-test", "ANTHROPIC_BASE_URL": scripted_llm.base_url}
    opened = await Runtime.open(
        workspace, interactive=False, db_path=tmp_path / "db.sqlite", env=env
    )
    yield opened
    await opened.aclose()


async def test_spawn_parallel_subagents_returns_each_task_with_status_and_result(
    runtime: Runtime, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(when="[x1]", text="queries in db.py"),
        Turn(when="[x2]", text="validation added"),
    )
    results = await spawn_parallel_subagents(
        [("researcher", "[x1] find DB queries", "Find DB queries"), ("finder", "[x2] find")],
        runtime=runtime,
        max_concurrent=2,
    )
    assert [(r.description, r.status, r.text) for r in results] == [
        ("Find DB queries", "completed", "queries in db.py"),
        ("[x2] find", "completed", "validation added"),
    ]
    parent = await runtime.store.sessions.get(results[0].session_id or "")
    assert parent is not None and parent.subagent_type == "researcher"
    assert parent.parent_session_id is not None


async def test_an_orchestrator_plan_runs_its_stages_in_order(
    runtime: Runtime, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(when="[y1]", text="RESEARCH-OUT"),
        Turn(when="[y2]", text="implemented"),
    )
    orchestrator = SubAgentOrchestrator(runtime=runtime)
    plan = OrchestrationPlan.staged(
        [
            [orchestrator.create_task("researcher", "[y1] research", "Research")],
            [orchestrator.create_task("planner", "[y2] plan from research", "Plan")],
        ]
    )
    stages = await orchestrator.execute_plan(plan)
    assert [[r.status for r in stage] for stage in stages] == [["completed"], ["completed"]]
    second = [r.body for r in scripted_llm.completion_requests() if "[y2]" in json.dumps(r.body)]
    assert "RESEARCH-OUT" in json.dumps(second[0])
