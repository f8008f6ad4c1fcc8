"""`codesm mcp oauth logout`: revoke the tokens at the authorization server, then forget them.

When the authorization server advertises a `revocation_endpoint` (RFC 7009, found through the
resource's RFC 9728 metadata and the server's RFC 8414 metadata, as at login), the refresh token
and then the access token are revoked there, so a copy of the token file is worthless too. The
local tokens are deleted whatever happens; the result says what was revoked and, when nothing
could be, why. Every server-supplied URL passes `check_url` before it is fetched.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx2
from mcp.client.auth.utils import (
    build_oauth_authorization_server_metadata_discovery_urls,
    build_protected_resource_metadata_discovery_urls,
)

from codesm.mcp.config import McpServerConfig
from codesm.mcp.oauth import token_file
from codesm.mcp.oauth_store import UnsafeUrl, check_url

__all__ = ["LogoutResult", "logout"]

# The refresh token first: revoking it usually ends the whole grant (RFC 7009 section 2.1).
_ORDER = (("refresh_token", "refresh token"), ("access_token", "access token"))


@dataclass(frozen=True)
class LogoutResult:
    removed: bool
    """Local tokens (or a client registration) existed and were deleted."""
    revoked: tuple[str, ...] = ()
    """What the authorization server confirmed revoking ("refresh token", "access token")."""
    problem: str | None = None
    """Why a token was not revoked at the server (not supported, unreachable, refused)."""


class _RevocationFailed(Exception):
    pass


async def _json(http: httpx2.AsyncClient, url: str, what: str) -> dict[str, Any] | None:
    check_url(url, what)
    response = await http.get(url)
    if response.status_code != 200:
        return None
    try:
        data = json.loads(response.content)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


async def _revocation_endpoint(http: httpx2.AsyncClient, server_url: str) -> str | None:
    auth_server: str | None = None
    for url in build_protected_resource_metadata_discovery_urls(None, server_url):
        resource = await _json(http, url, "protected resource metadata URL")
        servers = (resource or {}).get("authorization_servers") or []
        if servers:
            auth_server = check_url(str(servers[0]), "authorization server")
            break
    for url in build_oauth_authorization_server_metadata_discovery_urls(auth_server, server_url):
        metadata = await _json(http, url, "authorization server metadata URL")
        if metadata is not None:
            endpoint = metadata.get("revocation_endpoint")
            return check_url(str(endpoint), "revocation_endpoint") if endpoint else None
    return None


async def _revoke(
    http: httpx2.AsyncClient, endpoint: str, token: str, hint: str, client: dict[str, Any]
) -> None:
    form = {"token": token, "token_type_hint": hint}
    headers: dict[str, str] = {}
    client_id, secret = client.get("client_id"), client.get("client_secret")
    if client.get("token_endpoint_auth_method") == "client_secret_basic" and secret:
        pair = f"{quote(str(client_id), safe='')}:{quote(str(secret), safe='')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    else:
        if client_id:
            form["client_id"] = str(client_id)
        if secret:
            form["client_secret"] = str(secret)
    response = await http.post(endpoint, data=form, headers=headers)
    if response.status_code != 200:
        # Printed to a terminal: the server's text loses control and bidi characters.
        detail = "".join(ch for ch in response.text[:200] if ch.isprintable()).strip()
        raise _RevocationFailed(f"HTTP {response.status_code}{': ' + detail if detail else ''}")


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


async def logout(config: McpServerConfig, *, timeout_s: float = 15.0) -> LogoutResult:
    """Revoke `config`'s stored tokens where the server supports it, then delete them locally."""
    store = token_file(config)
    record = store.read()
    tokens: dict[str, Any] = _mapping(record.get("tokens"))
    client: dict[str, Any] = _mapping(record.get("client_info"))
    revoked: list[str] = []
    problem: str | None = None
    present = [(hint, label, str(tokens[hint])) for hint, label in _ORDER if tokens.get(hint)]
    try:
        if present and config.url is not None:
            check_url(config.url, "server URL")
            async with httpx2.AsyncClient(
                headers=dict(config.headers), timeout=httpx2.Timeout(timeout_s)
            ) as http:
                endpoint = await _revocation_endpoint(http, config.url)
                if endpoint is None:
                    problem = "the authorization server does not support token revocation"
                    present = []
                for hint, label, token in present:
                    assert endpoint is not None
                    try:
                        await _revoke(http, endpoint, token, hint, client)
                        revoked.append(label)
                    except _RevocationFailed as exc:
                        problem = f"revoking the {label} failed ({exc})"
    except UnsafeUrl as exc:
        problem = f"refused to contact the server: {exc}"
    except httpx2.HTTPError as exc:
        problem = f"could not reach the authorization server ({type(exc).__name__}: {exc})"
    finally:
        removed = store.clear()
    return LogoutResult(removed=removed, revoked=tuple(revoked), problem=problem)
