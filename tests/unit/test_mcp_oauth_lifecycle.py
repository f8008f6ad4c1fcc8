"""Logging out revokes at the authorization server (RFC 7009) when it can, and a server that needs
a login waits for one instead of being retried: a real SDK auth server on 127.0.0.1."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from codesm.mcp.connection import McpConnection, McpLimits
from codesm.mcp.oauth import login, token_file
from tests.support.mcp_servers import http_server
from tests.unit.test_mcp_cli import invoke
from tests.unit.test_mcp_oauth import Browser, server_config


def bearer_accepted(url: str, token: str) -> bool:
    """Whether the MCP endpoint still takes `token` (a revoked one gets 401)."""
    response = httpx.post(
        url,
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/json, text/event-stream",
        },
        json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
        timeout=10,
    )
    return response.status_code != 401


def test_logout_revokes_both_tokens_at_the_server_then_deletes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("webbrowser.open", Browser())
    with http_server("secure", oauth=True, revocation=True) as url:
        assert invoke(tmp_path, "mcp", "add", "--transport", "http", "secure", url)[0] == 0
        assert invoke(tmp_path, "mcp", "oauth", "login", "secure")[0] == 0
        config = server_config(url)
        access = token_file(config).read()["tokens"]["access_token"]
        assert bearer_accepted(url, access)
        code, out = invoke(tmp_path, "mcp", "oauth", "logout", "secure")
        assert code == 0, out
        assert "Revoked the refresh token and the access token at the server." in out
        assert "local tokens were deleted" in out
        assert not bearer_accepted(url, access)
        assert not token_file(config).path.exists()


def test_logout_without_a_revocation_endpoint_says_so_and_deletes_locally(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("webbrowser.open", Browser())
    with http_server("secure", oauth=True) as url:
        assert invoke(tmp_path, "mcp", "add", "--transport", "http", "secure", url)[0] == 0
        assert invoke(tmp_path, "mcp", "oauth", "login", "secure")[0] == 0
        access = token_file(server_config(url)).read()["tokens"]["access_token"]
        code, out = invoke(tmp_path, "mcp", "oauth", "logout", "secure")
        assert code == 0, out
        assert "does not support token revocation" in out and "Revoked" not in out
        assert "local tokens were deleted" in out
        assert bearer_accepted(url, access)  # nothing revoked it: the note was true
        assert not token_file(server_config(url)).exists()


def test_logout_when_the_server_is_unreachable_still_deletes_the_local_tokens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("webbrowser.open", Browser())
    with http_server("secure", oauth=True, revocation=True) as url:
        assert invoke(tmp_path, "mcp", "add", "--transport", "http", "secure", url)[0] == 0
        assert invoke(tmp_path, "mcp", "oauth", "login", "secure")[0] == 0
    code, out = invoke(tmp_path, "mcp", "oauth", "logout", "secure")
    assert code == 0, out
    assert "could not reach the authorization server" in out
    assert not token_file(server_config(url)).exists()


def test_a_server_that_needs_a_login_waits_for_it_instead_of_retrying(tmp_path: Path) -> None:
    limits = McpLimits(
        start_timeout_s=10, backoff_initial_s=0.01, backoff_max_s=0.01, login_poll_s=0.05
    )

    async def scenario(url: str) -> None:
        config = server_config(url)
        connection = McpConnection(config, cwd=tmp_path, limits=limits)
        try:
            assert not await connection.wait_started()
            assert connection.state == "needs_login"
            assert "codesm mcp oauth login secure" in (connection.error or "")
            # With a 10 ms backoff a retrying supervisor would have restarted dozens of times.
            await asyncio.sleep(0.5)
            assert (connection.state, connection.restarts) == ("needs_login", 0)
            await login(config, open_url=Browser())
            for _ in range(200):
                if connection.state == "ready":
                    break
                await asyncio.sleep(0.05)
            result = await connection.call("secret", {"text": "back"})
            assert result.content[0].text == "secret: back"  # type: ignore[union-attr]
        finally:
            await connection.aclose()

    with http_server("secure", oauth=True) as url:
        asyncio.run(scenario(url))
