"""OAuth for HTTP MCP servers on the SDK's `OAuthClientProvider`: login, tokens on later use.

`login` runs the authorization-code flow with PKCE: the browser goes to the authorization server and
comes back to a one-shot callback server on 127.0.0.1 (random port). Every URL the servers supply
(metadata endpoints, registration, token, authorization, redirects) passes `check_url` before it is
fetched or opened; a `javascript:` or `file:` endpoint, or one with shell characters, opens nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import time
import webbrowser
from collections.abc import AsyncGenerator, Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
from mcp.client.auth import OAuthClientProvider, OAuthFlowError
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata

from codesm.mcp.config import McpServerConfig
from codesm.mcp.oauth_store import OAuthTokenFile, UnsafeUrl, check_url

log = logging.getLogger(__name__)

__all__ = ["LoginRequired", "OpenUrl", "auth_for", "login", "token_file"]

OpenUrl = Callable[[str], object]
"""Opens the authorization URL for the user (the default is `webbrowser.open`)."""

_METADATA_PATHS = ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration",
                   "/.well-known/oauth-protected-resource")  # fmt: skip
_URL_FIELDS = ("issuer", "authorization_endpoint", "token_endpoint", "registration_endpoint",
               "revocation_endpoint", "resource")  # fmt: skip


_EXPIRY_MARGIN_S = 30.0


class LoginRequired(OAuthFlowError):
    """The server wants a (new) OAuth login, and this connection cannot ask for one."""


def token_file(config: McpServerConfig) -> OAuthTokenFile:
    if config.transport != "http" or config.url is None:
        raise ValueError(f"MCP server {config.name!r} is not an HTTP server")
    return OAuthTokenFile(config.name, config.url)


def _check_metadata(url: httpx2.URL, body: bytes) -> None:
    """Validate the URLs an authorization server or resource publishes in its metadata."""
    import json

    try:
        data = json.loads(body)
    except ValueError:
        return  # not metadata; the SDK treats it as absent
    if not isinstance(data, dict):
        return
    for name in _URL_FIELDS:
        value = data.get(name)
        if value is not None:
            check_url(str(value), f"{name} from {url.host}")
    for value in data.get("authorization_servers") or []:
        check_url(str(value), f"authorization server from {url.host}")


class CheckedOAuthProvider(OAuthClientProvider):
    """The SDK's provider, with every request it makes and every metadata URL it reads checked,
    and the stored expiry restored so an expired token is refreshed rather than sent."""

    def __init__(self, storage: OAuthTokenFile, **kwargs: Any) -> None:
        super().__init__(storage=storage, **kwargs)
        self._file = storage

    async def _initialize(self) -> None:
        await super()._initialize()
        expires = await asyncio.to_thread(self._file.expires_at)
        if expires is not None:  # refresh a little early: clocks and requests take time
            self.context.token_expiry_time = expires - _EXPIRY_MARGIN_S

    async def _auth_flow(
        self, request: httpx2.Request
    ) -> AsyncGenerator[httpx2.Request, httpx2.Response]:
        flow = super()._auth_flow(request)
        try:
            outgoing = await flow.__anext__()
            while True:
                if outgoing is not request:
                    check_url(str(outgoing.url), f"{outgoing.method} request URL")
                response = yield outgoing
                if (
                    outgoing is not request
                    and response.status_code == 200
                    and outgoing.url.path.startswith(_METADATA_PATHS)
                ):
                    _check_metadata(outgoing.url, await response.aread())
                outgoing = await flow.asend(response)
        except StopAsyncIteration:
            return
        finally:
            await flow.aclose()


async def _refuse_login(url: str) -> None:
    raise LoginRequired("the server asks for an OAuth login: run `codesm mcp oauth login NAME`")


async def _no_callback() -> AuthorizationCodeResult:
    raise LoginRequired("no OAuth login possible here")


def _client_metadata(redirect_uri: str) -> OAuthClientMetadata:
    return OAuthClientMetadata.model_validate(
        {
            "client_name": "codesm",
            "redirect_uris": [redirect_uri],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        }
    )


class _LoginHint(httpx2.Auth):
    """No stored login: a Bearer challenge becomes a message that says how to log in."""

    def __init__(self, name: str) -> None:
        self.name = name

    async def async_auth_flow(
        self, request: httpx2.Request
    ) -> AsyncGenerator[httpx2.Request, httpx2.Response]:
        response = yield request
        challenge = response.headers.get("www-authenticate", "")
        if response.status_code == 401 and challenge.lower().startswith("bearer"):
            raise LoginRequired(
                f"the server needs an OAuth login: run `codesm mcp oauth login {self.name}`"
            )


def auth_for(config: McpServerConfig) -> httpx2.Auth | None:
    """The OAuth auth of a later connection to `config` (None when the user configured an
    Authorization header of their own). With a stored login, tokens are sent and refresh
    themselves; a server that wants a (new) login fails the connection with `LoginRequired`."""
    if config.transport != "http" or config.url is None:
        return None
    if any(k.lower() == "authorization" for k in config.headers):
        return None
    store = token_file(config)
    if not store.exists():
        return _LoginHint(config.name)
    return CheckedOAuthProvider(
        store,
        server_url=config.url,
        client_metadata=_client_metadata("http://127.0.0.1/callback"),
        redirect_handler=_refuse_login,
        callback_handler=_no_callback,
    )


_PAGE = (
    "<!doctype html><meta charset=utf-8><title>codesm</title>"
    "<body style='font-family:sans-serif'><h3>{}</h3><p>You can close this window.</p>"
)


class CallbackServer:
    """A one-shot HTTP server on 127.0.0.1 (random port) that receives the authorization code."""

    def __init__(self) -> None:
        self._result: asyncio.Future[AuthorizationCodeResult] | None = None
        self._server: asyncio.Server | None = None
        self.port = 0

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self.port}/callback"

    async def __aenter__(self) -> CallbackServer:
        self._result = asyncio.get_running_loop().create_future()
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await asyncio.wait_for(reader.readline(), 10)
            while (await asyncio.wait_for(reader.readline(), 10)) not in (b"\r\n", b"\n", b""):
                pass
            parts = line.decode("latin-1").split()
            target = urlsplit(parts[1]) if len(parts) >= 2 else None
            if target is None or target.path != "/callback":
                status, message = "404 Not Found", "Not found."
            else:
                status, message = self._accept(parse_qs(target.query))
            body = _PAGE.format(html.escape(message)).encode()
            head = f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n"
            head += f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            writer.write(head.encode() + body)
            await writer.drain()
        except (TimeoutError, OSError, UnicodeError):
            pass
        finally:
            writer.close()

    def _accept(self, query: dict[str, list[str]]) -> tuple[str, str]:
        def first(key: str) -> str | None:
            return query.get(key, [None])[0]

        assert self._result is not None
        if self._result.done():
            return "409 Conflict", "This login was already completed."
        code, error = first("code"), first("error")
        if not code:
            why = first("error_description") or error or "no authorization code"
            self._result.set_exception(OAuthFlowError(f"authorization failed: {why}"))
            return "400 Bad Request", f"Login failed: {why}"
        self._result.set_result(
            AuthorizationCodeResult(code=code, state=first("state"), iss=first("iss"))
        )
        return "200 OK", "codesm is now logged in."

    async def wait(self, timeout_s: float) -> AuthorizationCodeResult:
        assert self._result is not None
        try:
            return await asyncio.wait_for(asyncio.shield(self._result), timeout_s)
        except TimeoutError:
            raise OAuthFlowError(f"no answer from the browser within {timeout_s:g} s") from None


async def login(
    config: McpServerConfig,
    *,
    open_url: OpenUrl | None = None,
    notify: Callable[[str], None] | None = None,
    timeout_s: float = 300.0,
) -> list[str]:
    """Log in to `config`'s server and keep the tokens; returns the names of its tools.

    Raises `UnsafeUrl` for a URL that failed the check, `OAuthFlowError` (and subclasses) when the
    flow fails, `ValueError` for a server that is not HTTP."""
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    store = token_file(config)
    assert config.url is not None
    check_url(config.url, "server URL")
    opener = open_url or webbrowser.open
    await asyncio.to_thread(store.clear, keep_client=False)
    async with CallbackServer() as callback:

        async def redirect(url: str) -> None:
            check_url(url, "authorization URL")
            if notify is not None:
                notify(url)
            await asyncio.to_thread(opener, url)

        provider = CheckedOAuthProvider(
            store,
            server_url=config.url,
            client_metadata=_client_metadata(callback.redirect_uri),
            redirect_handler=redirect,
            callback_handler=lambda: callback.wait(timeout_s),
        )
        started = time.monotonic()
        async with (
            httpx2.AsyncClient(
                headers=dict(config.headers), auth=provider, timeout=httpx2.Timeout(30.0)
            ) as http,
            Client(streamable_http_client(config.url, http_client=http)) as client,
        ):
            tools = await client.list_tools()
        log.info("OAuth login to %s took %.1f s", config.name, time.monotonic() - started)
    if not store.exists():
        raise OAuthFlowError("the server accepted the connection without an OAuth login")
    return [tool.name for tool in tools.tools]


__all__ += ["CallbackServer", "CheckedOAuthProvider", "UnsafeUrl"]
