"""`codesm mcp list|add|remove|approve|doctor`: parsing and printing; the work is in codesm.mcp."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from codesm.errors import ConfigError


def _load(mcp_config: str | None = None) -> Any:
    from codesm.mcp.config import load_mcp_config

    try:
        return load_mcp_config(Path.cwd(), cli_config=mcp_config)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group("mcp")
def mcp_group() -> None:
    """Manage MCP servers (`.mcp.json`, `codesm.mcpServers`)."""


@mcp_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_servers(as_json: bool) -> None:
    """List configured servers, where each comes from, and whether it may start."""
    from codesm.mcp.approvals import McpApprovals

    config = _load()
    approvals = McpApprovals(Path.cwd())
    rows = [
        {
            "name": s.name,
            "source": s.source,
            "origin": s.origin,
            "transport": s.transport,
            "target": s.target,
            "approval": approvals.state(s),
        }
        for s in config.servers.values()
    ]
    if as_json:
        click.echo(json.dumps({"servers": rows, "warnings": config.warnings}, indent=2))
        return
    for warning in config.warnings:
        click.echo(f"warning: {warning}", err=True)
    if not rows:
        click.echo("No MCP servers configured. Add one with `codesm mcp add NAME -- COMMAND ...`.")
    for row in rows:
        click.echo(
            f"{row['name']}  [{row['transport']}, {row['source']}: {row['approval']}]  "
            f"{row['target']}\n    from {row['origin']}"
        )


def _pairs(values: tuple[str, ...], sep: str, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        key, found, rest = value.partition(sep)
        if not found or not key.strip():
            raise click.BadParameter(f"{value!r} is not {what}")
        out[key.strip()] = rest.strip() if sep == ":" else rest
    return out


@mcp_group.command("add", context_settings={"ignore_unknown_options": True})
@click.argument("name")
@click.argument("target")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.option(
    "--scope",
    type=click.Choice(["user", "project"]),
    default="user",
    show_default=True,
    help="user settings, or the project's .mcp.json.",
)
@click.option("-t", "--transport", type=click.Choice(["stdio", "http"]), help="Default: by TARGET.")
@click.option("-e", "--env", "env_pairs", multiple=True, metavar="KEY=VALUE")
@click.option("-H", "--header", "headers", multiple=True, metavar="'Name: value'")
@click.option("--replace", is_flag=True, help="Replace a server with the same name.")
def add(
    name: str,
    target: str,
    args: tuple[str, ...],
    scope: str,
    transport: str | None,
    env_pairs: tuple[str, ...],
    headers: tuple[str, ...],
    replace: bool,
) -> None:
    """Add server NAME: `codesm mcp add fs -- npx -y @modelcontextprotocol/server-filesystem .`
    or `codesm mcp add --transport http docs https://example.com/mcp -H 'Authorization: ...'`."""
    from codesm.mcp.edit import add_server

    kind = transport or ("http" if target.startswith(("http://", "https://")) else "stdio")
    entry: dict[str, Any]
    if kind == "http":
        entry = {"type": "http", "url": target}
        if headers:
            entry["headers"] = _pairs(headers, ":", "'Name: value'")
    else:
        entry = {"command": target, "args": list(args)}
        if env_pairs:
            entry["env"] = _pairs(env_pairs, "=", "KEY=VALUE")
    try:
        path = add_server(name, entry, scope=scope, workspace=Path.cwd(), replace=replace)  # type: ignore[arg-type]
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Added MCP server {name!r} to {path}.")


@mcp_group.command("remove")
@click.argument("name")
@click.option("--scope", type=click.Choice(["user", "project"]), help="Default: both.")
def remove(name: str, scope: str | None) -> None:
    """Remove server NAME (and its approval)."""
    from codesm.mcp.edit import remove_server

    try:
        changed = remove_server(name, workspace=Path.cwd(), scope=scope)  # type: ignore[arg-type]
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    if not changed:
        raise click.ClickException(
            f"no MCP server named {name!r} in the user settings or .mcp.json"
        )
    click.echo(f"Removed MCP server {name!r} from {', '.join(map(str, changed))}.")


def _describe(server: Any) -> str:
    env = f" (env: {', '.join(sorted(server.env))})" if server.env else ""
    return f"{server.name}: {server.transport} {server.target}{env}\n  from {server.origin}"


@mcp_group.command("approve")
@click.argument("name")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
def approve(name: str, yes: bool) -> None:
    """Allow project server NAME to start (pinned to its current command, args, env keys, URL)."""
    from codesm.mcp.approvals import McpApprovals

    server = _load().servers.get(name)
    if server is None:
        raise click.ClickException(f"no MCP server named {name!r}")
    approvals = McpApprovals(Path.cwd())
    if approvals.state(server) in ("trusted", "approved"):
        click.echo(f"{name!r} may already start ({approvals.state(server)}).")
        return
    click.echo(_describe(server))
    if not yes and not click.confirm("Allow this server to run on this machine?", default=False):
        raise click.ClickException("not approved")
    approvals.approve(server)
    click.echo(f"Approved {name!r}; a change to its config will ask again.")


@mcp_group.command("doctor")
@click.argument("names", nargs=-1)
@click.option("-y", "--yes", is_flag=True, help="Approve unapproved project servers.")
@click.option("--mcp-config", help="Also check the servers of this JSON or file.")
def doctor(names: tuple[str, ...], yes: bool, mcp_config: str | None) -> None:
    """Start each server, list its tools, and report errors (exit 1 if any failed)."""
    config = _load(mcp_config)
    servers = [s for s in config.servers.values() if not names or s.name in names]
    if not servers:
        raise click.ClickException("no MCP servers to check")
    for warning in config.warnings:
        click.echo(f"warning: {warning}", err=True)
    ok = asyncio.run(_doctor(servers, yes=yes))
    sys.exit(0 if ok else 1)


async def _doctor(servers: list[Any], *, yes: bool) -> bool:
    from codesm.mcp.approvals import McpApprovals
    from codesm.mcp.connection import McpConnection, McpLimits

    approvals = McpApprovals(Path.cwd())
    limits = McpLimits.from_env(os.environ)
    all_ok = True
    for server in servers:
        state = approvals.state(server)
        if state in ("unapproved", "changed"):
            click.echo(_describe(server))
            interactive = sys.stdin.isatty()
            allowed = yes or (
                interactive
                and click.confirm(
                    f"{server.name!r} is {'changed' if state == 'changed' else 'not approved'}; "
                    "allow it to run?",
                    default=False,
                )
            )
            if not allowed:
                click.echo(f"- {server.name}: skipped (not approved)")
                all_ok = False
                continue
            approvals.approve(server)
        connection = McpConnection(server, cwd=Path.cwd(), limits=limits)
        try:
            ready = await connection.wait_started()
            status = connection.status()
        finally:
            await connection.aclose()
        if ready:
            tools = ", ".join(status.tools) or "(no tools)"
            click.echo(f"- {server.name}: ok, {len(status.tools)} tools: {tools}")
        else:
            all_ok = False
            click.echo(f"- {server.name}: FAILED: {status.error or status.state}")
            if status.stderr_tail:
                tail = "\n".join(status.stderr_tail.splitlines()[-10:])
                click.echo("  stderr:\n" + "\n".join(f"    {line}" for line in tail.splitlines()))
    return all_ok


def register(main: click.Group) -> None:
    """Add `mcp` (with `mcp oauth`), `skill`, `init` and `instructions` to the `codesm` group."""
    from codesm.cli_instructions import instructions_command
    from codesm.cli_mcp_oauth import oauth_group
    from codesm.cli_skills import init_command, skill_group

    mcp_group.add_command(oauth_group)
    main.add_command(mcp_group)
    main.add_command(skill_group)
    main.add_command(init_command)
    main.add_command(instructions_command)
