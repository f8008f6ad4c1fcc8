"""OAuth for HTTP MCP servers: a real SDK auth server on 127.0.0.1, the flow driven without a
browser (the test follows the redirect), tokens on later connections, hostile URLs refused."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import time
from pathlib import Path

import httpx
import pytest

from codesm.mcp.config import McpServerConfig, parse_server
from codesm.mcp.connection import McpConnection, McpLimits
from codesm.mcp.oauth import login, token_file
from codesm.mcp.oauth_store import UnsafeUrl, check_url
from tests.support.evil_oauth_server import evil_server
from tests.support.mcp_servers import http_server
from tests.unit.test_mcp_cli import invoke


def server_config(url: str, name: str = "secure") -> McpServerConfig:
    return parse_server(name, {"type": "http", "url": url}, source="user", origin="test", env={})


class Browser:
    """Stands in for the browser: records what it was asked to open, and follows the redirects
    back to the callback server as a browser would."""

    def __init__(self) -> None:
        self.opened: list[str] = []

    def __call__(self, url: str) -> None:
        self.opened.append(url)
        httpx.get(url, follow_redirects=True, timeout=10).raise_for_status()


def innermost(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup):
        exc = exc.exceptions[0]
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return exc


async def connect(config: McpServerConfig, tmp_path: Path) -> tuple[bool, McpConnection]:
    connection = McpConnection(config, cwd=tmp_path, limits=McpLimits(start_timeout_s=10))
    ready = await connection.wait_started()
    return ready, connection


def test_login_stores_the_tokens_0600_and_later_connections_use_them(tmp_path: Path) -> None:
    with http_server("secure", oauth=True) as url:
        config = server_config(url)
        browser = Browser()
        assert asyncio.run(login(config, open_url=browser)) == ["secret"]
        [opened] = browser.opened
        assert opened.startswith(url.removesuffix("/mcp") + "/authorize?")
        store = token_file(config)
        assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(store.path.parent).st_mode) == 0o700
        assert store.status().logged_in and store.status().refreshable

        async def use() -> str:
            ready, connection = await connect(config, tmp_path)
            try:
                assert ready, connection.error
                result = await connection.call("secret", {"text": "hi"})
                return str(result.content[0].text)  # type: ignore[union-attr]
            finally:
                await connection.aclose()

        assert asyncio.run(use()) == "secret: hi"


def test_a_protected_server_without_a_login_fails_and_says_so(tmp_path: Path) -> None:
    async def attempt(url: str) -> tuple[bool, str | None]:
        ready, connection = await connect(server_config(url), tmp_path)
        await connection.aclose()
        return ready, connection.error

    with http_server("secure", oauth=True) as url:
        ready, error = asyncio.run(attempt(url))
        assert not ready and "codesm mcp oauth login secure" in (error or ""), error


def test_an_expired_token_is_refreshed_on_the_next_connection(tmp_path: Path) -> None:
    with http_server("secure", oauth=True, expires=1) as url:
        config = server_config(url)
        asyncio.run(login(config, open_url=Browser()))
        before = token_file(config).read()["tokens"]["access_token"]
        time.sleep(1.1)

        async def use() -> bool:
            ready, connection = await connect(config, tmp_path)
            await connection.aclose()
            return ready

        assert asyncio.run(use())
        assert token_file(config).read()["tokens"]["access_token"] != before


def test_tokens_are_not_sent_to_a_server_whose_url_changed(tmp_path: Path) -> None:
    with http_server("secure", oauth=True) as url:
        asyncio.run(login(server_config(url), open_url=Browser()))
        moved = server_config(url.replace("/mcp", "/other/mcp"))
        assert not token_file(moved).exists()


def test_the_cli_logs_in_shows_the_status_and_logs_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = Browser()
    monkeypatch.setattr("webbrowser.open", browser)
    with http_server("secure", oauth=True) as url:
        code, out = invoke(tmp_path, "mcp", "add", "--transport", "http", "secure", url)
        assert code == 0, out
        code, out = invoke(tmp_path, "mcp", "oauth", "status", "secure")
        assert "not logged in" in out
        code, out = invoke(tmp_path, "mcp", "oauth", "login", "secure")
        assert code == 0 and "Logged in to 'secure'; 1 tools: secret" in out, out
        assert len(browser.opened) == 1
        code, out = invoke(tmp_path, "mcp", "oauth", "status", "secure", "--json")
        assert json.loads(out)["logged_in"] and json.loads(out)["refreshable"]
        code, out = invoke(tmp_path, "mcp", "doctor", "secure")
        assert code == 0 and "secure: ok, 1 tools: secret" in out, out
        code, out = invoke(tmp_path, "mcp", "oauth", "logout", "secure")
        assert code == 0 and "Logged out" in out
        code, out = invoke(tmp_path, "mcp", "doctor", "secure")
        assert code == 1 and "FAILED" in out


@pytest.mark.parametrize(
    "endpoint",
    [
        "javascript:alert(1)",
        "file:///etc/passwd",
        "https://127.0.0.1/authorize;$(touch pwned)",
        "https://127.0.0.1/authorize?x=`id`",
        "http://evil.example/authorize",
        "https://user:secret@127.0.0.1/authorize",
    ],
)
def test_an_unsafe_authorization_endpoint_opens_nothing(endpoint: str, tmp_path: Path) -> None:
    browser = Browser()
    with evil_server(authorization_endpoint=endpoint) as evil:
        with pytest.raises(BaseException) as caught:
            asyncio.run(login(server_config(evil.url), open_url=browser, timeout_s=5))
        assert isinstance(innermost(caught.value), UnsafeUrl), repr(caught.value)
        assert browser.opened == []
        assert not any(r.startswith("POST /register") for r in evil.requests)
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("registration_endpoint", "http://evil.example/register"),
        ("token_endpoint", "file:///etc/passwd"),
    ],
)
def test_an_unsafe_registration_or_token_endpoint_is_never_fetched(field: str, value: str) -> None:
    browser = Browser()
    with evil_server(**{field: value}) as evil:
        with pytest.raises(BaseException) as caught:
            asyncio.run(login(server_config(evil.url), open_url=browser, timeout_s=5))
        assert isinstance(innermost(caught.value), UnsafeUrl), repr(caught.value)
        assert browser.opened == []


@pytest.mark.parametrize(
    "url",
    ["https://auth.example.com/authorize?a=1", "http://127.0.0.1:9/x", "http://localhost/x",
     "http://[::1]:8/x"],
)  # fmt: skip
def test_check_url_accepts_https_and_loopback_http(url: str) -> None:
    assert check_url(url) == url


@pytest.mark.parametrize(
    "url",
    ["", "ftp://example.com/x", "data:text/html,hi", "https:///nohost", "http://10.0.0.1/x",
     "https://a.example/x y", "https://a.example/x\n", "https://a.example:99999/x"],
)  # fmt: skip
def test_check_url_refuses_anything_else(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        check_url(url)
