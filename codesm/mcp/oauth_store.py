"""OAuth tokens of HTTP MCP servers, and the check every server-supplied URL passes.

Tokens live in `~/.config/codesm/mcp-oauth/<server>.json` (directory 0700, file 0600, written to a
temporary file, fsynced and renamed), bound to the server's URL: a server whose URL changed does
not get the old tokens. `check_url` is applied to every URL an authorization server hands us
(endpoints in its metadata, where it redirects) before it is fetched or opened in a browser.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass
from ipaddress import ip_address
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mcp.shared.auth import OAuthClientInformationFull, OAuthToken

from codesm import paths
from codesm.atomic import atomic_write_json

__all__ = ["OAuthTokenFile", "TokenStatus", "UnsafeUrl", "check_url", "oauth_dir"]

# Characters no authorization URL needs and a shell or a browser launcher might act on.
_UNSAFE_CHARS = re.compile(r"[\x00-\x20\x7f\"'`<>\\^{}|$;]")
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,48}$")


class UnsafeUrl(ValueError):
    """A URL from a server that codesm refuses to fetch or open."""


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, what: str = "URL") -> str:
    """`url` when it is http(s), carries no credentials or odd characters, and is https unless it
    points at this machine; raises `UnsafeUrl` otherwise."""
    if not isinstance(url, str) or not url or len(url) > 8192:
        raise UnsafeUrl(f"{what} is empty or too long")
    shown = url[:80]
    if _UNSAFE_CHARS.search(url):
        raise UnsafeUrl(f"{what} {shown!r} contains characters a URL should not")
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError as exc:
        raise UnsafeUrl(f"{what} {shown!r} is malformed: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeUrl(f"{what} {shown!r} is not an http or https URL")
    if not host:
        raise UnsafeUrl(f"{what} {shown!r} has no host")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UnsafeUrl(f"{what} {shown!r} carries credentials")
    if scheme == "http" and not _loopback(host):
        raise UnsafeUrl(f"{what} {shown!r} must use https (http is allowed only for this machine)")
    return url


def oauth_dir() -> Path:
    return paths.config_dir() / "mcp-oauth"


@dataclass(frozen=True)
class TokenStatus:
    server: str
    url: str | None
    logged_in: bool
    expires_at: float | None
    refreshable: bool
    scope: str | None
    path: Path

    def describe(self) -> str:
        if not self.logged_in:
            return f"{self.server}: not logged in"
        when = "no expiry given"
        if self.expires_at is not None:
            left = self.expires_at - time.time()
            when = f"expires in {int(left)} s" if left > 0 else "expired"
        refresh = ", refreshable" if self.refreshable else ""
        scope = f", scope {self.scope!r}" if self.scope else ""
        return f"{self.server}: logged in to {self.url} ({when}{refresh}{scope})"


class OAuthTokenFile:
    """The SDK's `TokenStorage` for one server, backed by a 0600 JSON file."""

    def __init__(self, server: str, url: str, *, directory: Path | None = None) -> None:
        if not _NAME.match(server):
            raise ValueError(f"bad MCP server name {server!r}")
        self.server = server
        self.url = url
        self.path = (directory or oauth_dir()) / f"{server}.json"

    # -- file ---------------------------------------------------------------------------------
    def read(self) -> dict[str, Any]:
        """The stored record, or {} when absent, unreadable, or for another URL."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("server_url") != self.url:
            return {}
        return data

    def _write(self, data: dict[str, Any]) -> None:
        atomic_write_json(self.path, data, private=True)

    def _update(self, **fields: Any) -> None:
        data = self.read()
        data.update(fields, server=self.server, server_url=self.url)
        self._write(data)

    def exists(self) -> bool:
        return bool(self.read().get("tokens"))

    def clear(self, *, keep_client: bool = False) -> bool:
        """Forget the tokens (and the registered client unless `keep_client`)."""
        data = self.read()
        if keep_client and data.get("client_info"):
            self._write({k: v for k, v in data.items() if k not in ("tokens", "expires_at")})
            return True
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        return True

    def expires_at(self) -> float | None:
        value = self.read().get("expires_at")
        return float(value) if isinstance(value, int | float) else None

    def status(self) -> TokenStatus:
        data = self.read()
        tokens = data.get("tokens") if isinstance(data.get("tokens"), dict) else None
        return TokenStatus(
            server=self.server,
            url=self.url if tokens else None,
            logged_in=tokens is not None,
            expires_at=self.expires_at() if tokens else None,
            refreshable=bool(tokens and tokens.get("refresh_token")),
            scope=tokens.get("scope") if tokens else None,
            path=self.path,
        )

    # -- the SDK's TokenStorage protocol ------------------------------------------------------
    async def get_tokens(self) -> OAuthToken | None:
        raw = (await asyncio.to_thread(self.read)).get("tokens")
        try:
            return OAuthToken.model_validate(raw) if isinstance(raw, dict) else None
        except ValueError:
            return None

    async def set_tokens(self, tokens: OAuthToken) -> None:
        expires = time.time() + tokens.expires_in if tokens.expires_in else None
        record = tokens.model_dump(mode="json", exclude_none=True)
        await asyncio.to_thread(self._update, tokens=record, expires_at=expires)

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        raw = (await asyncio.to_thread(self.read)).get("client_info")
        try:
            return OAuthClientInformationFull.model_validate(raw) if isinstance(raw, dict) else None
        except ValueError:
            return None

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        record = client_info.model_dump(mode="json", exclude_none=True)
        await asyncio.to_thread(self._update, client_info=record)
