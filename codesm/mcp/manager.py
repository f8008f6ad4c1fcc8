"""All MCP servers of a workspace: approval gate, start-up, tools, status, shutdown."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codesm.mcp.approvals import McpApprovals
from codesm.mcp.config import McpConfig, McpServerConfig

if TYPE_CHECKING:  # the SDK is imported only when a server starts
    from codesm.mcp.connection import McpConnection, McpLimits, ServerStatus
    from codesm.mcp.tools import McpTool

log = logging.getLogger(__name__)

__all__ = ["ApproveServer", "McpManager", "SkippedServer"]

ApproveServer = Callable[[McpServerConfig, str], Awaitable[bool]]
"""Asks the user whether a project server may start; the string is why it asks
(`unapproved` or `changed`). True pins the approval."""


@dataclass(frozen=True)
class SkippedServer:
    config: McpServerConfig
    reason: str


@dataclass
class McpManager:
    """Starts the servers the user trusts or approved and turns their tools into codesm tools.

    Project servers (`.mcp.json`, the project's settings) start only with a pinned approval;
    without one, `approve` is asked when given, otherwise they are skipped with a warning (what
    headless runs and the web UI do: approve with `codesm mcp approve NAME` or `codesm mcp
    doctor`)."""

    config: McpConfig
    workspace: Path
    approvals: McpApprovals
    limits: McpLimits | None = None
    env: Mapping[str, str] | None = None
    approve: ApproveServer | None = None
    connections: dict[str, McpConnection] = field(default_factory=dict)
    skipped: dict[str, SkippedServer] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    _started: bool = False
    _live: list[McpTool] = field(default_factory=list)
    _live_from: list[tuple[McpConnection, list[Any]]] = field(default_factory=list)

    @classmethod
    def create(
        cls,
        config: McpConfig,
        workspace: Path,
        *,
        approve: ApproveServer | None = None,
        env: Mapping[str, str] | None = None,
    ) -> McpManager:
        return cls(
            config,
            workspace,
            McpApprovals(workspace),
            approve=approve,
            env=env,
            warnings=list(config.warnings),
        )

    async def start(self) -> None:
        """Start every permitted server in the background (idempotent)."""
        if self._started:
            return
        self._started = True
        for warning in self.config.warnings:
            log.warning("%s", warning)
        for server in self.config.servers.values():
            if await self._permitted(server):
                self._connect(server)

    def _connect(self, server: McpServerConfig) -> None:
        from codesm.mcp.connection import McpConnection, McpLimits

        if self.limits is None:
            self.limits = McpLimits.from_env(os.environ if self.env is None else self.env)
        connection = McpConnection(server, cwd=self.workspace, limits=self.limits)
        self.connections[server.name] = connection
        connection.start()

    async def approve_and_start(self, name: str, pin: str) -> bool:
        """Approve the skipped project server `name` and start it, provided its config still
        hashes to `pin` (the config the user was shown); False when it does not."""
        server = self.config.servers.get(name)
        if server is None or server.pin() != pin:
            return False
        await asyncio.to_thread(self.approvals.approve, server)
        if self.skipped.pop(name, None) is not None and name not in self.connections:
            self._connect(server)
        return True

    async def _permitted(self, server: McpServerConfig) -> bool:
        state = await asyncio.to_thread(self.approvals.state, server)
        if state in ("trusted", "approved"):
            return True
        if self.approve is not None and await self.approve(server, state):
            await asyncio.to_thread(self.approvals.approve, server)
            return True
        what = "changed since it was approved" if state == "changed" else "not approved"
        reason = (
            f"project MCP server {server.name!r} ({server.origin}) is {what}; skipped. "
            f"Run `codesm mcp approve {server.name}` to allow it."
        )
        self.skipped[server.name] = SkippedServer(server, reason)
        self.warnings.append(reason)
        log.warning("%s", reason)
        return False

    async def tools(self, timeout_s: float | None = None) -> list[McpTool]:
        """The tools of every server that came up within the start timeout."""
        await self.start()
        await asyncio.gather(*(c.wait_started(timeout_s) for c in self.connections.values()))
        for connection in self.connections.values():
            if connection.state != "ready":
                log.warning(
                    "MCP server %r is not available: %s",
                    connection.name,
                    connection.error or connection.state,
                )
        return _mcp_tools([c for c in self.connections.values() if c.state == "ready"])

    def live_tools(self) -> list[McpTool]:
        """The tools of the servers that are up now, without waiting: what an open session offers
        from its next step. A server restarting after a crash keeps its tools (a call waits for
        it, then fails with `McpUnavailable`); one that failed, stopped or needs a login loses
        them. The same list object comes back until that changes, so callers can compare by
        identity and the tool objects (and their schemas) are not rebuilt every step."""
        offered = [(c, c.tools) for c in self.connections.values() if c.state in _OFFERING_STATES]
        unchanged = len(offered) == len(self._live_from) and all(
            c is old_c and tools is old_tools
            for (c, tools), (old_c, old_tools) in zip(offered, self._live_from, strict=True)
        )
        if not unchanged:
            self._live_from = offered
            self._live = _mcp_tools([c for c, _ in offered])
        return self._live

    def statuses(self) -> list[ServerStatus]:
        return [c.status() for c in self.connections.values()]

    async def aclose(self) -> None:
        await asyncio.gather(*(c.aclose() for c in self.connections.values()))


_OFFERING_STATES = frozenset({"ready", "restarting"})


def _mcp_tools(connections: list[McpConnection]) -> list[McpTool]:
    if not connections:
        return []
    from codesm.mcp.tools import McpTool

    tools: list[McpTool] = []
    seen: set[str] = set()
    for connection in connections:
        for remote in connection.tools:
            tool = McpTool(connection, remote)
            if tool.name in seen:
                log.warning("MCP tool %s is listed twice; the first one is kept", tool.name)
                continue
            seen.add(tool.name)
            tools.append(tool)
    return tools
