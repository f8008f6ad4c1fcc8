"""What users bring to a workspace beyond the built-in tools: MCP servers and skills.

The runtime opens one `Extensions` per workspace; every agent gets its tools (MCP tools and the
`skill` tool) and a system prompt section listing the skills.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codesm.agent.tools.base import Tool
from codesm.agent.tools.live_registry import ToolSource
from codesm.config.settings import Settings
from codesm.mcp.config import load_mcp_config
from codesm.mcp.manager import ApproveServer, McpManager
from codesm.skills.discovery import SkillCatalog, discover_skills
from codesm.skills.tool import SkillTool

__all__ = ["Extensions"]


@dataclass
class Extensions:
    mcp: McpManager
    skills: SkillCatalog

    @classmethod
    async def open(
        cls,
        workspace: Path,
        settings: Settings,
        *,
        mcp_config: str | None = None,
        strict_mcp_config: bool = False,
        settings_file: Path | None = None,
        approve: ApproveServer | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Extensions:
        """Load MCP config and skills; servers start in the background right away.

        Raises `ConfigError` for a `--mcp-config` that cannot be read; every other problem is a
        logged warning."""
        config = await asyncio.to_thread(
            load_mcp_config,
            workspace,
            cli_config=mcp_config,
            strict=strict_mcp_config,
            settings_file=settings_file,
            env=env,
        )
        skills = await asyncio.to_thread(discover_skills, workspace, settings.skills_path)
        manager = McpManager.create(config, workspace, approve=approve, env=env)
        await manager.start()
        return cls(manager, skills)

    async def tools(self) -> list[Tool[Any]]:
        """Tools for a new agent: every ready MCP server's tools, and `skill` if any exist."""
        return [*await self.mcp.tools(), *self.skill_tools()]

    async def live_mcp_tools(self) -> ToolSource:
        """For an agent that stays open: waits for the servers still starting (as `tools` does),
        then follows servers as they come and go (see `McpManager.live_tools`)."""
        await self.mcp.tools()
        return self.mcp.live_tools

    def skill_tools(self) -> list[Tool[Any]]:
        return [SkillTool(self.skills)] if self.skills.skills else []

    def server_states(self) -> list[dict[str, str]]:
        """Every configured MCP server with `connected`, `failed` or `skipped` (not approved), in
        the shape of Claude Code's stream-json `init` line."""
        states: list[dict[str, str]] = []
        for name in self.mcp.config.servers:
            connection = self.mcp.connections.get(name)
            if connection is None:
                status = "skipped" if name in self.mcp.skipped else "failed"
            else:
                status = "connected" if connection.state == "ready" else "failed"
            states.append({"name": name, "status": status})
        return states

    def prompt_section(self) -> str:
        return self.skills.prompt_section()

    async def aclose(self) -> None:
        await self.mcp.aclose()
