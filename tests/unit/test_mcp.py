"""MCP client: configuration, the approval pin, and real servers that crash, hang or flood."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from codesm.agent.tools.registry import ToolRegistry
from codesm.mcp.config import McpServerConfig, load_mcp_config, parse_server
from codesm.mcp.connection import McpConnection, McpLimits
from codesm.mcp.manager import McpManager
from codesm.mcp.tools import McpTool, mcp_tool_name
from tests.support.mcp_servers import stdio_entry
from tests.unit.tool_support import Workspace, make_workspace

FAST = McpLimits(
    start_timeout_s=10, call_timeout_s=2, backoff_initial_s=0.05, health_interval_s=0.2
)


def server(entry: dict[str, object], name: str = "srv") -> McpServerConfig:
    return parse_server(name, entry, source="user", origin="test", env={})


def workspace_with(tmp_path: Path, connection: McpConnection) -> Workspace:
    ws = make_workspace(tmp_path)
    ws.registry = ToolRegistry(McpTool(connection, t) for t in connection.tools)
    return ws


def test_variables_are_expanded_with_defaults_and_missing_ones_reported(tmp_path: Path) -> None:
    (tmp_path / ".mcp.json").write_text(
        json.dumps(
            {
                "mcpServers": {
                    "fs": {
                        "command": "${TOOL_BIN}/fs",
                        "args": ["--level=${LEVEL:-info}"],
                        "env": {"TOKEN": "${TOKEN}"},
                    },
                    "web": {
                        "type": "http",
                        "url": "https://${HOST}/mcp",
                        "headers": {"Authorization": "Bearer ${API_TOKEN}"},
                    },
                }
            }
        )
    )
    config = load_mcp_config(tmp_path, env={"TOOL_BIN": "/opt/bin", "HOST": "mcp.example.com"})
    fs, web = config.servers["fs"], config.servers["web"]
    assert (fs.command, fs.args, dict(fs.env)) == ("/opt/bin/fs", ("--level=info",), {"TOKEN": ""})
    assert web.url == "https://mcp.example.com/mcp" and web.source == "project"
    assert any("API_TOKEN" in w for w in config.warnings)
    assert any("TOKEN" in w and "'fs'" in w for w in config.warnings)


def test_cli_config_wins_by_name_and_bad_entries_are_warnings(tmp_path: Path) -> None:
    (tmp_path / ".mcp.json").write_text(
        json.dumps({"mcpServers": {"a": {"command": "one"}, "bad": {"args": []}}})
    )
    config = load_mcp_config(
        tmp_path, cli_config=json.dumps({"mcpServers": {"a": {"command": "two"}}}), env={}
    )
    assert config.servers["a"].command == "two" and config.servers["a"].source == "cli"
    assert "bad" not in config.servers
    assert any("'bad'" in w and "command" in w for w in config.warnings)


def test_a_changed_project_server_config_asks_for_approval_again(tmp_path: Path) -> None:
    asked: list[tuple[str, str]] = []

    async def approve(config: McpServerConfig, why: str) -> bool:
        asked.append((config.name, why))
        return True

    async def start_with(entry: dict[str, object]) -> None:
        (tmp_path / ".mcp.json").write_text(json.dumps({"mcpServers": {"srv": entry}}))
        manager = McpManager.create(load_mcp_config(tmp_path), tmp_path, approve=approve)
        try:
            await manager.start()
            assert "srv" in manager.connections
        finally:
            await manager.aclose()

    missing = str(tmp_path / "no-such-server")

    async def scenario() -> None:
        await start_with({"command": missing, "args": ["--port", "1"]})
        await start_with({"command": missing, "args": ["--port", "1"]})
        await start_with({"command": missing, "args": ["--port", "2"]})

    asyncio.run(scenario())
    assert asked == [("srv", "unapproved"), ("srv", "changed")]


async def test_an_unapproved_project_server_is_skipped_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / ".mcp.json").write_text(json.dumps({"mcpServers": {"srv": stdio_entry()}}))
    manager = McpManager.create(load_mcp_config(tmp_path), tmp_path)
    assert await manager.tools() == []
    assert not manager.connections
    assert "codesm mcp approve srv" in manager.skipped["srv"].reason


async def test_a_crashed_server_is_restarted_and_the_next_call_succeeds(tmp_path: Path) -> None:
    connection = McpConnection(server(stdio_entry()), cwd=tmp_path, limits=FAST)
    try:
        assert await connection.wait_started()
        ws = workspace_with(tmp_path, connection)
        crashed = await ws.call("mcp__srv__crash", {})
        assert crashed.is_error and "being restarted" in crashed.content
        after = await ws.call("mcp__srv__echo", {"text": "again"})
        assert not after.is_error and "srv says: again" in after.content
        assert connection.restarts == 1
    finally:
        await connection.aclose()


async def test_a_hanging_tool_times_out_and_the_server_keeps_answering(tmp_path: Path) -> None:
    connection = McpConnection(server(stdio_entry()), cwd=tmp_path, limits=FAST)
    try:
        assert await connection.wait_started()
        ws = workspace_with(tmp_path, connection)
        started = time.monotonic()
        hung = await ws.call("mcp__srv__hang", {})
        assert hung.is_error and "did not answer within 2 s" in hung.content
        assert time.monotonic() - started < 5
        echo = await ws.call("mcp__srv__echo", {"text": "still here"})
        assert "still here" in echo.content and connection.restarts == 0
    finally:
        await connection.aclose()


async def test_flooded_output_is_capped_and_stderr_flood_costs_bounded_memory(
    tmp_path: Path,
) -> None:
    limits = McpLimits(start_timeout_s=20, call_timeout_s=10, max_output_chars=100_000)
    connection = McpConnection(server(stdio_entry(behavior="flood")), cwd=tmp_path, limits=limits)
    try:
        assert await connection.wait_started()
        ws = workspace_with(tmp_path, connection)
        result = await ws.call("mcp__srv__flood", {"kilobytes": 4096})
        assert not result.is_error and result.metadata.get("truncated") is True
        assert len(result.content) < 60_000
        assert len(connection.status().stderr_tail) <= limits.stderr_tail_bytes
        assert "noise" in connection.status().stderr_tail
    finally:
        await connection.aclose()


async def test_a_server_that_never_answers_the_handshake_fails_in_bounded_time(
    tmp_path: Path,
) -> None:
    limits = McpLimits(start_timeout_s=0.5, max_restarts=0)
    connection = McpConnection(
        server(stdio_entry(behavior="hang-start")), cwd=tmp_path, limits=limits
    )
    started = time.monotonic()
    try:
        assert not await connection.wait_started(timeout_s=15)
        assert connection.state == "failed"
        assert "did not start within 0.5 s" in (connection.error or "")
    finally:
        await connection.aclose()
    assert time.monotonic() - started < 8


async def test_a_missing_command_fails_at_once_without_restarts(tmp_path: Path) -> None:
    connection = McpConnection(
        server({"command": str(tmp_path / "no-such-server")}), cwd=tmp_path, limits=FAST
    )
    try:
        assert not await connection.wait_started()
        assert connection.state == "failed" and connection.restarts == 0
        assert "FileNotFoundError" in (connection.error or "")
    finally:
        await connection.aclose()


async def test_arguments_are_checked_against_the_server_schema_before_sending(
    tmp_path: Path,
) -> None:
    connection = McpConnection(server(stdio_entry()), cwd=tmp_path, limits=FAST)
    try:
        assert await connection.wait_started()
        ws = workspace_with(tmp_path, connection)
        spec = next(s for s in ws.registry.specs() if s.name == "mcp__srv__add")
        assert spec.input_schema["required"] == ["a", "b"]
        bad = await ws.call("mcp__srv__add", {"a": "one"})
        assert bad.is_error and bad.metadata["error"] == "InvalidArguments"
        assert "'b' is a required property" in bad.content
        good = await ws.call("mcp__srv__add", {"a": 2, "b": 3})
        assert "5" in good.content and "Untrusted content" in good.content
    finally:
        await connection.aclose()


def test_tool_names_are_prefixed_safe_and_short() -> None:
    assert mcp_tool_name("srv", "echo") == "mcp__srv__echo"
    assert mcp_tool_name("my.server", "do it") == "mcp__my_server__do_it"
    long = mcp_tool_name("s" * 40, "t" * 40)
    assert len(long) == 64 and long != mcp_tool_name("s" * 40, "t" * 41)
