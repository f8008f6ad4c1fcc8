"""Subagents see MCP servers come and go as their parent does: a project server approved while a
subagent runs is offered to it from its next step, through its type's allowlist (a read-only type
still does not get it)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from codesm.agent.events import ToolCallFinished, ToolCallStarted
from codesm.agent.extensions import Extensions
from codesm.agent.subagents.tools import subagent_tools
from codesm.agent.tools.selection import live_session_registry
from codesm.config.settings import Settings
from tests.support.mcp_servers import stdio_entry
from tests.support.scripted_llm import Fault, ScriptedLLMServer, ToolCallSpec, Turn
from tests.unit.subagent_support import family, requests_with, tool_names

ECHO = "mcp__proj__echo"


def task(kind: str, prompt: str) -> dict[str, str]:
    return {"subagent_type": kind, "prompt": prompt, "description": prompt[:20]}


def held_first_step(marker: str) -> Fault:
    """The subagent's first reply (an `ls` call), held back until the test releases it: its
    request went out before the server was approved, its next one goes out after."""
    first = Turn(when=marker, tool_calls=[ToolCallSpec("ls", {"path": "."})])
    return Fault("stall", turn=first, after_bytes=1, stall_s=60, when=marker)


def own_requests(server: ScriptedLLMServer, marker: str) -> list[dict[str, Any]]:
    """The requests of the subagent whose task starts with `marker` (not its parent's, which
    quote the task in their tool calls)."""
    return [body for body in requests_with(server, marker) if task_of(body).startswith(marker)]


def task_of(body: dict[str, Any]) -> str:
    content = body["messages"][0]["content"]
    return str(content if isinstance(content, str) else content[0].get("text", ""))


async def until(check: Any, what: str) -> None:
    for _ in range(600):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def test_a_server_approved_while_subagents_run_reaches_the_allowed_ones_next_step(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("parallel_tasks", {"tasks": [
            task("coder", "[c] use the project tools"),
            task("researcher", "[r] look around"),
        ]})]),
        held_first_step("[c]"),
        held_first_step("[r]"),
        Turn(when="[c]", tool_calls=[ToolCallSpec(ECHO, {"text": "hi"})]),
        Turn(when="[c]", text="The project server answered."),
        Turn(when="[r]", text="Looked around."),
        Turn(text="Both done."),
    )  # fmt: skip
    async with family(tmp_path, scripted_llm, permission_mode="allow-all") as f:
        workspace = f.parent.root
        (workspace / ".mcp.json").write_text(
            json.dumps({"mcpServers": {"proj": stdio_entry("proj")}})
        )
        extensions = await Extensions.open(workspace, Settings())
        try:
            assert "proj" in extensions.mcp.skipped  # a project server waits for approval
            f.parent.agent.deps.tools = live_session_registry(
                Settings(),
                before=[],
                live=await extensions.live_mcp_tools(),
                after=subagent_tools(f.host),
            )
            run = asyncio.create_task(f.parent.agent.run_turn("go"))
            await until(
                lambda: requests_with(scripted_llm, "[c]") and requests_with(scripted_llm, "[r]"),
                "both subagents' first requests",
            )
            pin = extensions.mcp.config.servers["proj"].pin()
            assert await extensions.mcp.approve_and_start("proj", pin)
            connection = extensions.mcp.connections["proj"]
            await until(lambda: connection.state == "ready", "the approved server")
            scripted_llm.release_stalls()
            outcome = await asyncio.wait_for(run, 60)
            events = [s.event for child in await f.children() for s in await f.events_of(child)]
            calls = {e.call_id for e in events if isinstance(e, ToolCallStarted) and e.name == ECHO}
            echoed = [e for e in events if isinstance(e, ToolCallFinished) and e.call_id in calls]
        finally:
            await extensions.aclose()
    assert outcome.status == "completed"
    coder = own_requests(scripted_llm, "[c]")
    assert len(coder) == 3
    assert ECHO not in tool_names(coder[0])
    assert ECHO in tool_names(coder[1]) and ECHO in tool_names(coder[2])
    schema = next(t for t in coder[1]["tools"] if t["name"] == ECHO)["input_schema"]
    assert schema["required"] == ["text"]
    assert ECHO in json.dumps(coder[1]["system"])  # its prompt lists the new tool too
    assert [e.is_error for e in echoed] == [False] and "proj says: hi" in echoed[0].content
    researcher = own_requests(scripted_llm, "[r]")
    assert len(researcher) == 2
    assert all(ECHO not in tool_names(body) for body in researcher)
    assert "read" in tool_names(researcher[1])
