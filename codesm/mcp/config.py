"""MCP server configuration in the shapes users already have.

Sources, later ones winning by server name: `codesm.mcpServers` in the user's settings, the
project's `.mcp.json`, `codesm.mcpServers` in the project's `.codesm/settings.json`, and
`--mcp-config JSON|PATH`. Each server is either stdio (`command`, `args`, `env`) or streamable HTTP
(`type: "http"`, `url`, `headers`); `${VAR}` and `${VAR:-default}` are expanded in all of them.
Servers from the project need the user's approval before they start (see `approvals`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from codesm.config.settings import (
    global_settings_path,
    read_settings_file,
    workspace_settings_path,
)
from codesm.errors import ConfigError

log = logging.getLogger(__name__)

__all__ = [
    "MCP_JSON",
    "McpConfig",
    "McpServerConfig",
    "ServerSource",
    "expand_vars",
    "load_mcp_config",
    "parse_mcp_config_arg",
    "parse_servers",
]

MCP_JSON = ".mcp.json"
SETTINGS_KEY = "codesm.mcpServers"
ServerSource = Literal["user", "project", "cli"]
Transport = Literal["stdio", "http"]
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,48}$")


@dataclass(frozen=True)
class McpServerConfig:
    """One server, variables expanded. `source` says who configured it: `project` servers start
    only once approved; `origin` is the file (or "--mcp-config") it came from."""

    name: str
    transport: Transport
    source: ServerSource
    origin: str
    command: str | None = None
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    url: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout_s: float | None = None
    missing_vars: tuple[str, ...] = ()

    @property
    def target(self) -> str:
        """What the server runs or reaches, for listings (never header or env values)."""
        if self.transport == "http":
            return self.url or ""
        return " ".join([self.command or "", *self.args])

    def pin(self) -> str:
        """The hash an approval is pinned to: transport, command, args, env keys, URL (and header
        names). Values of env and headers are left out: they are often secrets that rotate."""
        material = {
            "transport": self.transport,
            "command": self.command,
            "args": list(self.args),
            "env_keys": sorted(self.env),
            "url": self.url,
            "header_keys": sorted(k.lower() for k in self.headers),
        }
        canonical = json.dumps(material, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class McpConfig:
    servers: dict[str, McpServerConfig]
    warnings: list[str] = field(default_factory=list)


def expand_vars(value: str, env: Mapping[str, str], missing: list[str]) -> str:
    """Expand `${VAR}` and `${VAR:-default}`; unset variables without a default become empty and
    are recorded in `missing` (the server will likely fail; the listing says why)."""

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in env and (env[name] or default is None):
            return env[name]
        if default is not None:
            return default
        missing.append(name)
        return ""

    return _VAR.sub(replace, value)


def _strings(value: Any, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise ValueError(f"{what} must be a list of strings")
    return [str(v) for v in value]


def _mapping(value: Any, what: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be an object of strings")
    return {str(k): str(v) for k, v in value.items()}


def parse_server(
    name: str, raw: Any, *, source: ServerSource, origin: str, env: Mapping[str, str]
) -> McpServerConfig:
    """One entry of an `mcpServers` object; a `ValueError` says what is wrong with it."""
    if not _NAME.match(name):
        raise ValueError("names may hold only letters, digits, '_' and '-' (at most 48)")
    if not isinstance(raw, dict):
        raise ValueError("must be an object")
    missing: list[str] = []
    kind = raw.get("type", raw.get("transport"))
    if kind is None:
        kind = "http" if "url" in raw and "command" not in raw else "stdio"
    if kind in ("streamable-http", "streamable_http", "remote"):
        kind = "http"
    timeout = raw.get("timeout")
    timeout_s = float(timeout) / 1000 if isinstance(timeout, int | float) and timeout > 0 else None
    if kind == "stdio":
        command = raw.get("command")
        args = _strings(raw.get("args", []), "args")
        if isinstance(command, list):  # opencode's shape: the whole argv in `command`
            parts = _strings(command, "command")
            command, args = (parts[0] if parts else None), [*parts[1:], *args]
        if not isinstance(command, str) or not command.strip():
            raise ValueError("a stdio server needs a `command`")
        env_values = _mapping(raw.get("env", {}), "env")
        env_values.update(_mapping(raw.get("environment", {}), "environment"))
        return McpServerConfig(
            name=name,
            transport="stdio",
            source=source,
            origin=origin,
            command=expand_vars(command, env, missing),
            args=tuple(expand_vars(a, env, missing) for a in args),
            env={k: expand_vars(v, env, missing) for k, v in env_values.items()},
            timeout_s=timeout_s,
            missing_vars=tuple(missing),
        )
    if kind == "http":
        url = raw.get("url")
        if not isinstance(url, str):
            raise ValueError("an http server needs a `url`")
        url = expand_vars(url, env, missing)
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"url must start with http:// or https://, not {url[:40]!r}")
        headers = _mapping(raw.get("headers", {}), "headers")
        return McpServerConfig(
            name=name,
            transport="http",
            source=source,
            origin=origin,
            url=url,
            headers={k: expand_vars(v, env, missing) for k, v in headers.items()},
            timeout_s=timeout_s,
            missing_vars=tuple(missing),
        )
    raise ValueError(f"transport {kind!r} is not supported (use stdio or http)")


def parse_servers(
    data: Any,
    *,
    source: ServerSource,
    origin: str,
    env: Mapping[str, str],
    warnings: list[str],
) -> dict[str, McpServerConfig]:
    """Servers from an `mcpServers` object; a bad entry is a warning, never a crash."""
    if not isinstance(data, dict):
        warnings.append(f"{origin}: mcpServers must be an object; ignored")
        return {}
    servers: dict[str, McpServerConfig] = {}
    for name, raw in data.items():
        if isinstance(raw, dict) and (raw.get("disabled") is True or raw.get("enabled") is False):
            continue
        try:
            servers[str(name)] = parse_server(str(name), raw, source=source, origin=origin, env=env)
        except ValueError as exc:
            warnings.append(f"MCP server {name!r} in {origin}: {exc}; skipped")
    return servers


def _servers_in_file(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    try:
        data = json.loads(text) if text.strip() else {}
    except ValueError as exc:
        raise ConfigError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a JSON object")
    return data.get("mcpServers", {})


def parse_mcp_config_arg(value: str) -> tuple[Any, str]:
    """`--mcp-config` takes inline JSON or a path to a file in the `.mcp.json` shape."""
    text, origin = value, "--mcp-config"
    if not value.lstrip().startswith("{"):
        path = Path(value).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"--mcp-config: cannot read {value}: {exc}") from exc
        origin = str(path)
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"--mcp-config: {origin} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError("--mcp-config must hold a JSON object")
    return data.get("mcpServers", data), origin


def load_mcp_config(
    workspace: Path,
    *,
    cli_config: str | None = None,
    strict: bool = False,
    settings_file: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> McpConfig:
    """Every configured server, by name; `strict` keeps only those from `--mcp-config`."""
    env = os.environ if env is None else env
    warnings: list[str] = []
    layers: list[tuple[Any, ServerSource, str]] = []
    if not strict:
        user = global_settings_path()
        layers.append((read_settings_file(user).get(SETTINGS_KEY, {}), "user", str(user)))
        if settings_file is not None:
            explicit = read_settings_file(settings_file).get(SETTINGS_KEY, {})
            layers.append((explicit, "user", str(settings_file)))
        mcp_json = workspace / MCP_JSON
        try:
            layers.append((_servers_in_file(mcp_json), "project", str(mcp_json)))
        except ConfigError as exc:
            warnings.append(f"{exc}; its MCP servers are ignored")
        project = workspace_settings_path(workspace)
        layers.append((read_settings_file(project).get(SETTINGS_KEY, {}), "project", str(project)))
    if cli_config is not None:
        data, origin = parse_mcp_config_arg(cli_config)
        layers.append((data, "cli", origin))
    servers: dict[str, McpServerConfig] = {}
    for data, source, origin in layers:
        servers.update(
            parse_servers(data, source=source, origin=origin, env=env, warnings=warnings)
        )
    for server in servers.values():
        if server.missing_vars:
            names = ", ".join(sorted(set(server.missing_vars)))
            warnings.append(f"MCP server {server.name!r}: environment variables not set: {names}")
    return McpConfig(servers=servers, warnings=warnings)
