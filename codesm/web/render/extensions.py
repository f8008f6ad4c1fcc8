"""What the settings page shows about a workspace's extensions: each MCP server with where it is
configured, its approval and its state, and the instruction files and skills in effect.

Rows are built from the runtime's live `Extensions`, so the page shows what this server runs,
not what the config files say now (a changed file takes effect at the next start).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from codesm.agent.runtime import Runtime
from codesm.mcp.approvals import ApprovalState
from codesm.mcp.config import MCP_JSON, McpServerConfig

TRANSITIONAL = frozenset({"starting", "restarting"})
"""States that change by themselves soon: the panel refreshes itself while one is shown."""

_STATE_LABELS = {
    "ready": "running",
    "starting": "starting",
    "restarting": "restarting",
    "failed": "crashed",
    "needs_login": "needs login",
    "stopped": "stopped",
}


@dataclass(frozen=True)
class McpServerRow:
    name: str
    source: str
    origin: str
    transport: str
    target: str
    approval: ApprovalState
    pin: str
    state: str
    """One of the `_STATE_LABELS` values, "waiting for approval" or "not started"."""
    tools: int | None
    error: str | None

    @property
    def needs_approval(self) -> bool:
        return self.approval in ("unapproved", "changed")

    @property
    def busy(self) -> bool:
        return self.state in TRANSITIONAL

    @property
    def state_class(self) -> str:
        return self.state.replace(" ", "-")


@dataclass(frozen=True)
class InstructionsView:
    files: list[tuple[str, bool]]
    """Instruction files in prompt order, with whether each was cut to the size limit."""
    skills: list[tuple[str, str, str]]
    """(name, description, folder) of every usable skill."""
    warnings: list[str]
    """Malformed skills and MCP configuration problems, for the user to fix."""


def source_label(server: McpServerConfig) -> str:
    if server.source == "cli":
        return "--mcp-config"
    if server.source == "project":
        return MCP_JSON if Path(server.origin).name == MCP_JSON else "project settings"
    return "your settings"


def mcp_rows(runtime: Runtime) -> list[McpServerRow]:
    """Every configured MCP server of the runtime, in name order."""
    extensions = runtime.extensions
    if extensions is None:
        return []
    manager = extensions.mcp
    rows = []
    for name in sorted(manager.config.servers):
        server = manager.config.servers[name]
        approval = manager.approvals.state(server)
        connection = manager.connections.get(name)
        tools: int | None = None
        error: str | None = None
        if connection is not None:
            state = _STATE_LABELS.get(connection.state, connection.state)
            tools = len(connection.tools) if connection.state == "ready" else None
            error = connection.error
        elif approval in ("unapproved", "changed"):
            state = "waiting for approval"
        else:
            state = "not started"
        rows.append(
            McpServerRow(
                name=name,
                source=source_label(server),
                origin=server.origin,
                transport=server.transport,
                target=server.target,
                approval=approval,
                pin=server.pin(),
                state=state,
                tools=tools,
                error=error,
            )
        )
    return rows


def instructions_view(runtime: Runtime) -> InstructionsView:
    files = [(str(item.path), item.truncated) for item in runtime.instruction_files()]
    extensions = runtime.extensions
    if extensions is None:
        return InstructionsView(files, [], [])
    skills = [
        (skill.name, skill.description, str(skill.path))
        for skill in sorted(extensions.skills.skills.values(), key=lambda s: s.name)
    ]
    warnings = [*extensions.skills.warnings, *extensions.mcp.config.warnings]
    return InstructionsView(files, skills, warnings)
