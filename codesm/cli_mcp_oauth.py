"""`codesm mcp oauth login|logout|status SERVER`: OAuth for HTTP MCP servers (codesm.mcp.oauth)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import click

from codesm.errors import ConfigError


def _http_server(name: str) -> Any:
    from codesm.mcp.config import load_mcp_config

    try:
        config = load_mcp_config(Path.cwd())
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    server = config.servers.get(name)
    if server is None:
        raise click.ClickException(f"no MCP server named {name!r} (see `codesm mcp list`)")
    if server.transport != "http":
        raise click.ClickException(f"{name!r} is a stdio server; OAuth is for HTTP servers")
    return server


def _innermost(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    seen = 0
    while exc.__cause__ is not None and seen < 5:  # the SDK wraps auth errors in its own
        exc, seen = exc.__cause__, seen + 1
    return exc


@click.group("oauth")
def oauth_group() -> None:
    """Log in to HTTP MCP servers that use OAuth (tokens kept 0600 in the config dir)."""


@oauth_group.command("login")
@click.argument("name")
@click.option("--no-browser", is_flag=True, help="Print the URL instead of opening a browser.")
@click.option(
    "--timeout", default=300.0, show_default=True, help="Seconds to wait for the browser."
)
def login_command(name: str, no_browser: bool, timeout: float) -> None:
    """Run the OAuth login of server NAME in the browser; later connections use the tokens."""
    from codesm.mcp.approvals import McpApprovals
    from codesm.mcp.oauth import login
    from codesm.mcp.oauth_store import UnsafeUrl

    server = _http_server(name)
    if not McpApprovals(Path.cwd()).may_start(server):
        raise click.ClickException(
            f"{name!r} is a project server that is not approved; run `codesm mcp approve {name}`"
        )

    def notify(url: str) -> None:
        click.echo(f"Opening the authorization page (or open it yourself):\n  {url}", err=True)

    opener = (lambda url: None) if no_browser else None
    try:
        tools = asyncio.run(login(server, open_url=opener, notify=notify, timeout_s=timeout))
    except Exception as exc:
        inner = _innermost(exc)
        if isinstance(inner, UnsafeUrl):
            raise click.ClickException(f"refused: {inner}") from exc
        raise click.ClickException(f"OAuth login to {name!r} failed: {inner}") from exc
    click.echo(f"Logged in to {name!r}; {len(tools)} tools: {', '.join(tools) or '(none)'}")


@oauth_group.command("logout")
@click.argument("name")
def logout_command(name: str) -> None:
    """Revoke NAME's tokens at its authorization server (when it supports RFC 7009 revocation),
    then forget them and the client registration."""
    from codesm.mcp.oauth_logout import logout

    result = asyncio.run(logout(_http_server(name)))
    if not result.removed:
        click.echo(f"{name!r} had no stored login.")
        return
    if result.revoked:
        click.echo(f"Revoked the {' and the '.join(result.revoked)} at the server.")
    if result.problem:
        click.echo(
            f"Note: {result.problem}; the tokens may stay valid at the server until they expire.",
            err=True,
        )
    click.echo(f"Logged out of {name!r}: the local tokens were deleted.")


@oauth_group.command("status")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def status_command(name: str, as_json: bool) -> None:
    """Whether server NAME has a stored login, and when its token expires."""
    from codesm.mcp.oauth import token_file

    status = token_file(_http_server(name)).status()
    if as_json:
        click.echo(
            json.dumps(
                {
                    "server": status.server,
                    "logged_in": status.logged_in,
                    "url": status.url,
                    "expires_at": status.expires_at,
                    "refreshable": status.refreshable,
                    "scope": status.scope,
                    "path": str(status.path),
                },
                indent=2,
            )
        )
        return
    click.echo(status.describe())
