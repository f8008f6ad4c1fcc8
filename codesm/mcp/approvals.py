"""Approvals of project MCP servers, pinned to a hash of each server's config.

A cloned repository's `.mcp.json` must not be able to run commands on its own. The first time a
project server would start, the user approves it; the approval stores `McpServerConfig.pin()` in
`~/.config/codesm/mcp-approvals.json` (outside the project, 0600), keyed by the workspace path and
server name. Any change to the command, args, env keys or URL changes the pin: asked again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from codesm import paths
from codesm.atomic import atomic_write_json
from codesm.mcp.config import McpServerConfig

__all__ = ["ApprovalState", "McpApprovals", "approvals_path"]

ApprovalState = Literal["trusted", "approved", "changed", "unapproved"]


def approvals_path() -> Path:
    return paths.config_dir() / "mcp-approvals.json"


class McpApprovals:
    """Reads and writes the approval pins of one workspace."""

    def __init__(self, workspace: Path, *, path: Path | None = None) -> None:
        self.workspace = str(workspace.resolve())
        self.path = path or approvals_path()

    def _load(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        return {
            str(k): {str(n): str(h) for n, h in v.items()}
            for k, v in data.items()
            if isinstance(v, dict)
        }

    def _save(self, data: dict[str, dict[str, str]]) -> None:
        atomic_write_json(self.path, data, private=True)

    def state(self, server: McpServerConfig) -> ApprovalState:
        """`trusted` for servers the user configured; for project servers whether the stored pin
        matches (`approved`), differs (`changed`) or is absent (`unapproved`)."""
        if server.source != "project":
            return "trusted"
        pinned = self._load().get(self.workspace, {}).get(server.name)
        if pinned is None:
            return "unapproved"
        return "approved" if pinned == server.pin() else "changed"

    def may_start(self, server: McpServerConfig) -> bool:
        return self.state(server) in ("trusted", "approved")

    def approve(self, server: McpServerConfig) -> None:
        data = self._load()
        data.setdefault(self.workspace, {})[server.name] = server.pin()
        self._save(data)

    def revoke(self, name: str) -> bool:
        data = self._load()
        removed = data.get(self.workspace, {}).pop(name, None) is not None
        if removed:
            if not data[self.workspace]:
                del data[self.workspace]
            self._save(data)
        return removed
