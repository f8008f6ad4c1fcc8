"""Adding and removing MCP servers in the files users keep them in: `codesm.mcpServers` in the
user's settings, or the project's `.mcp.json` (approved on the spot: the user added it)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from codesm.atomic import atomic_write_json
from codesm.config.settings import global_settings_path, read_settings_file
from codesm.errors import ConfigError
from codesm.mcp.approvals import McpApprovals
from codesm.mcp.config import MCP_JSON, SETTINGS_KEY, parse_server

__all__ = ["Scope", "add_server", "remove_server"]

Scope = Literal["user", "project"]


def _write_json(path: Path, data: dict[str, Any]) -> None:
    atomic_write_json(path, data)


def _read_mcp_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot update {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"cannot update {path}: it does not hold a JSON object")
    return data


def _edit(scope: Scope, workspace: Path, change: Callable[[dict[str, Any]], bool]) -> Path | None:
    if scope == "user":
        path = global_settings_path()
        data = read_settings_file(path)
        servers = data.setdefault(SETTINGS_KEY, {})
    else:
        path = workspace / MCP_JSON
        data = _read_mcp_json(path)
        servers = data.setdefault("mcpServers", {})
    if not isinstance(servers, dict):
        raise ConfigError(f"cannot update {path}: its MCP servers are not an object")
    if not change(servers):
        return None
    _write_json(path, data)
    return path


def add_server(
    name: str, entry: dict[str, Any], *, scope: Scope, workspace: Path, replace: bool = False
) -> Path:
    """Write `entry` (the `.mcp.json` shape) under `name`; returns the file written.

    Raises `ConfigError` for an invalid entry or an existing name without `replace`."""
    try:
        server = parse_server(
            name,
            entry,
            source="project" if scope == "project" else "user",
            origin=scope,
            env=os.environ,
        )
    except ValueError as exc:
        raise ConfigError(f"MCP server {name!r}: {exc}") from exc

    def change(servers: dict[str, Any]) -> bool:
        if name in servers and not replace:
            raise ConfigError(f"an MCP server named {name!r} exists already (use --replace)")
        servers[name] = entry
        return True

    path = _edit(scope, workspace, change)
    assert path is not None
    if scope == "project":
        McpApprovals(workspace).approve(server)
    return path


def remove_server(name: str, *, workspace: Path, scope: Scope | None = None) -> list[Path]:
    """Remove `name` from the user settings and/or `.mcp.json`; returns the files changed."""
    changed: list[Path] = []
    for where in ("user", "project") if scope is None else (scope,):
        path = _edit(where, workspace, lambda servers: servers.pop(name, None) is not None)
        if path is not None:
            changed.append(path)
    McpApprovals(workspace).revoke(name)
    return changed
