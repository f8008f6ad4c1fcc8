"""The tools of every MCP server a workspace may start, for listings (`codesm tools list|show`).

Each approved or user-configured server is started, its tools listed and the server stopped again;
an unapproved project server is reported as skipped (it is never started from a listing), a server
that fails is reported with its error. Nothing here raises for a server's fault.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from codesm.mcp.approvals import McpApprovals
from codesm.mcp.config import McpConfig, McpServerConfig

__all__ = ["ListedTool", "ServerTools", "list_mcp_tools"]

ListState = Literal["connected", "failed", "skipped"]


@dataclass(frozen=True)
class ListedTool:
    name: str  # as the model sees it: mcp__<server>__<tool>
    remote_name: str
    description: str
    schema: dict[str, Any]


@dataclass(frozen=True)
class ServerTools:
    server: str
    state: ListState
    error: str | None = None
    tools: list[ListedTool] = field(default_factory=list)


async def _one(server: McpServerConfig, workspace: Path, timeout_s: float) -> ServerTools:
    from codesm.mcp.connection import McpConnection, McpLimits
    from codesm.mcp.tools import McpTool

    limits = McpLimits.from_env(os.environ)
    limits = McpLimits(start_timeout_s=min(timeout_s, limits.start_timeout_s), max_restarts=0)
    connection = McpConnection(server, cwd=workspace, limits=limits)
    try:
        if not await connection.wait_started():
            return ServerTools(server.name, "failed", connection.error or connection.state)
        listed = []
        for remote in connection.tools:
            tool = McpTool(connection, remote)
            schema = tool.json_schema if isinstance(tool.json_schema, dict) else {}
            listed.append(ListedTool(tool.name, remote.name, tool.description, schema))
        return ServerTools(server.name, "connected", None, listed)
    except Exception as exc:  # a listing never fails because of one server
        return ServerTools(server.name, "failed", f"{type(exc).__name__}: {exc}")
    finally:
        await connection.aclose()


async def list_mcp_tools(
    config: McpConfig, workspace: Path, *, timeout_s: float = 15.0
) -> list[ServerTools]:
    """Connect, list and disconnect every permitted server (concurrently), in name order."""
    approvals = McpApprovals(workspace)
    results: dict[str, ServerTools] = {}
    jobs = []
    for server in config.servers.values():
        state = await asyncio.to_thread(approvals.state, server)
        if state in ("trusted", "approved"):
            jobs.append(_one(server, workspace, timeout_s))
        else:
            why = "changed since it was approved" if state == "changed" else "not approved"
            results[server.name] = ServerTools(
                server.name, "skipped", f"{why}: run `codesm mcp approve {server.name}`"
            )
    for found in await asyncio.gather(*jobs):
        results[found.server] = found
    return [results[name] for name in sorted(results)]
