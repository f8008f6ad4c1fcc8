"""MCP servers that come and go while a session is open: a project server approved on the
Settings page is offered to the open session from its next turn, and a server that stops takes its
tools out of the next request while a call already made fails with a typed error."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from codesm.agent.titles import TITLE_PROMPT
from codesm.agent.tools.live_registry import LiveToolRegistry
from codesm.config.settings import Settings
from codesm.mcp.config import load_mcp_config
from codesm.mcp.connection import McpUnavailable
from codesm.mcp.tools import McpTool
from tests.support.mcp_servers import stdio_entry
from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn
from tests.unit.web_support import (
    WS_BASE,
    WebApp,
    client_for,
    make_web_app,
    new_session,
    read_until,
)

FINISHED = 'status-completed"'
ECHO = "mcp__proj__echo"


def agent_requests(scripted_llm: ScriptedLLMServer) -> list[dict[str, Any]]:
    """The agent's model calls (the session title's call offers no tools)."""
    bodies = [request.body for request in scripted_llm.completion_requests()]
    return [body for body in bodies if body.get("tools")]


def offered_tools(body: dict[str, Any]) -> list[str]:
    return [tool["name"] for tool in body["tools"]]


def wait_until_running(client: TestClient, web: WebApp, name: str) -> None:
    for _ in range(300):
        html = client.get("/settings/mcp", headers=web.cookie).text
        if f'id="mcp-{name}" data-state="running"' in html:
            return
        time.sleep(0.05)
    raise AssertionError(f"{name} never started: {html}")


def run_turn(client: TestClient, web: WebApp, sid: str, prompt: str) -> str:
    with client.websocket_connect(f"{WS_BASE}/ws/s/{sid}", headers=web.ws_headers) as ws:
        ws.receive_text()
        ws.send_text(web.frame(type="submit_prompt", text=prompt))
        return read_until(ws, lambda text: text.count(FINISHED) >= 1)


def test_a_server_approved_in_settings_reaches_the_session_already_open(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / ".mcp.json").write_text(json.dumps({"mcpServers": {"proj": stdio_entry("proj")}}))
    web = make_web_app(workspace, tmp_path / "db.sqlite", llm=scripted_llm,
                       permission_mode="allow-all")  # fmt: skip
    scripted_llm.script(
        Turn(text="Tool check", when=TITLE_PROMPT[:40]),  # the background title, whenever it asks
        Turn(text="No MCP tools yet."),
        Turn(text="Asking it.", tool_calls=[ToolCallSpec(ECHO, {"text": "hi"}, id="call_echo")]),
        Turn(text="It answered."),
    )
    with client_for(web) as client:
        sid = new_session(client, web)
        run_turn(client, web, sid, "first")
        assert ECHO not in offered_tools(agent_requests(scripted_llm)[0])

        pin = load_mcp_config(workspace).servers["proj"].pin()
        approved = client.post(
            "/settings/mcp/proj/approve", headers=web.write_headers(), data={"pin": pin}
        )
        assert "Open sessions get its tools" in approved.text
        wait_until_running(client, web, "proj")

        frames = run_turn(client, web, sid, "second")
    assert "proj says: hi" in frames
    first, asking, answered = agent_requests(scripted_llm)
    assert ECHO in offered_tools(asking) and ECHO in offered_tools(answered)
    schema = next(t for t in asking["tools"] if t["name"] == ECHO)["input_schema"]
    assert schema["required"] == ["text"]
    # The system prompt names the new tool from then on, and stays the same between steps.
    assert ECHO not in json.dumps(first["system"]) and ECHO in json.dumps(asking["system"])
    assert asking["system"] == answered["system"]


async def test_a_stopped_server_leaves_the_next_request_and_a_late_call_fails_typed(
    tmp_path: Path,
) -> None:
    from codesm.agent.extensions import Extensions

    config = json.dumps({"mcpServers": {"proj": stdio_entry("proj")}})
    extensions = await Extensions.open(tmp_path, Settings(), mcp_config=config)
    try:
        registry = LiveToolRegistry([], await extensions.live_mcp_tools())
        first = registry.specs()
        assert ECHO in [spec.name for spec in first]
        generation = registry.generation
        assert registry.specs() == first and registry.generation == generation  # cached

        await extensions.mcp.connections["proj"].aclose()
        assert ECHO not in [spec.name for spec in registry.specs()]
        assert registry.generation == generation + 1
        tool = registry.get(ECHO)  # the model may already have called it in this step
        assert isinstance(tool, McpTool)
        args: Any = tool.params.model_validate({"text": "late"})
        try:
            await tool.run(args, None)  # type: ignore[arg-type]
        except McpUnavailable as exc:
            assert "'proj'" in str(exc)
        else:
            raise AssertionError("a call to a stopped server must fail")
    finally:
        await extensions.aclose()


async def test_a_server_restarted_after_a_crash_is_offered_again_from_the_next_request(
    tmp_path: Path,
) -> None:
    import asyncio

    from codesm.agent.extensions import Extensions

    config = json.dumps({"mcpServers": {"proj": stdio_entry("proj")}})
    extensions = await Extensions.open(tmp_path, Settings(), mcp_config=config)
    try:
        registry = LiveToolRegistry([], await extensions.live_mcp_tools())
        generation = registry.generation
        crash = registry.get("mcp__proj__crash")
        assert isinstance(crash, McpTool)
        try:
            await crash.run(crash.params.model_validate({}), None)  # type: ignore[arg-type]
        except McpUnavailable as exc:
            assert "is being restarted" in str(exc)
        else:
            raise AssertionError("a crash must fail the call")
        connection = extensions.mcp.connections["proj"]
        for _ in range(400):  # the supervisor restarts it after a short backoff
            if connection.state == "ready" and connection.restarts:
                break
            await asyncio.sleep(0.05)
        assert connection.state == "ready"

        assert ECHO in [spec.name for spec in registry.specs()]
        assert registry.generation == generation + 1  # the restarted server's tools were taken
        echo = registry.get(ECHO)
        assert isinstance(echo, McpTool)
        result = await echo.run(echo.params.model_validate({"text": "back"}), None)  # type: ignore[arg-type]
        assert "proj says: back" in result.content and not result.is_error
    finally:
        await extensions.aclose()
