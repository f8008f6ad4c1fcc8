"""The agent uses real MCP servers (stdio and streamable HTTP) in a scripted session, end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from codesm.agent.events import ToolCallFinished
from codesm.agent.extensions import Extensions
from codesm.config.settings import Settings
from tests.support.agent_harness import agent_harness
from tests.support.mcp_servers import REPO_ROOT, http_server, stdio_entry
from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn


def tool_results(scripted_llm: ScriptedLLMServer, request: int) -> list[str]:
    body = scripted_llm.completion_requests()[request].body
    return [
        json.dumps(block["content"])
        for message in body["messages"]
        if isinstance(message["content"], list)
        for block in message["content"]
        if block.get("type") == "tool_result"
    ]


async def run_echo_session(
    tmp_path: Path, scripted_llm: ScriptedLLMServer, servers: dict[str, Any], tool: str
) -> list[ToolCallFinished]:
    scripted_llm.script(
        Turn(text="Asking the server.", tool_calls=[ToolCallSpec(tool, {"text": "hello"})]),
        Turn(text="The server answered."),
    )
    extensions = await Extensions.open(
        tmp_path, Settings(), mcp_config=json.dumps({"mcpServers": servers})
    )
    try:
        extra = await extensions.tools()
        async with agent_harness(
            tmp_path, scripted_llm, permission_mode="allow-all", extra_tools=extra
        ) as h:
            outcome = await h.agent.run_turn("ask the server")
            events = await h.events()
    finally:
        await extensions.aclose()
    assert outcome.status == "completed"
    return [s.event for s in events if isinstance(s.event, ToolCallFinished)]


async def test_the_model_calls_a_stdio_mcp_tool_and_reads_its_result(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    finished = await run_echo_session(
        tmp_path, scripted_llm, {"srv": stdio_entry("srv")}, "mcp__srv__echo"
    )
    assert len(finished) == 1 and not finished[0].is_error
    first = scripted_llm.completion_requests()[0].body
    echo = next(t for t in first["tools"] if t["name"] == "mcp__srv__echo")
    assert echo["input_schema"]["required"] == ["text"]
    [result] = tool_results(scripted_llm, 1)
    assert "srv says: hello" in result and "Untrusted content" in result


async def test_the_model_calls_a_streamable_http_mcp_tool_and_reads_its_result(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    with http_server("web") as url:
        servers = {"web": {"type": "http", "url": url, "headers": {"X-Test": "1"}}}
        finished = await run_echo_session(tmp_path, scripted_llm, servers, "mcp__web__echo")
    assert len(finished) == 1 and not finished[0].is_error
    [result] = tool_results(scripted_llm, 1)
    assert "web says: hello" in result


def codesm_env(tmp_path: Path, scripted_llm: ScriptedLLMServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    env.update(
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        ANTHROPIC_API_KEY="sk-ant-test-key",
        ANTHROPIC_BASE_URL=scripted_llm.base_url,
        PYTHONPATH=str(REPO_ROOT),
    )
    return env


def test_headless_mcp_config_gives_the_model_the_tools_and_skips_unapproved_project_servers(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / ".mcp.json").write_text(json.dumps({"mcpServers": {"proj": stdio_entry("proj")}}))
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("mcp__cli__echo", {"text": "from headless"})]),
        Turn(text="done"),
    )
    config = json.dumps({"mcpServers": {"cli": stdio_entry("cli")}})
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "codesm",
            "-x",
            "use the server",
            "--mcp-config",
            config,
            "--dangerously-allow-all",
        ],
        capture_output=True,
        text=True,
        cwd=workspace,
        env=codesm_env(tmp_path, scripted_llm),
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "done\n"
    assert "project MCP server 'proj'" in done.stderr and "not approved" in done.stderr
    tools = [t["name"] for t in scripted_llm.completion_requests()[0].body["tools"]]
    assert "mcp__cli__echo" in tools and not any(t.startswith("mcp__proj__") for t in tools)
    assert "cli says: from headless" in tool_results(scripted_llm, 1)[0]
