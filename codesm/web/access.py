"""The middleware's view of who is asking: owner, a share link's guest, or nobody; whether the
role table lets them in; and the redaction of everything sent back to them.

Guests get every HTML, text and JSON body and every WebSocket text frame through the full
redactor (known secrets, `.env` values, key-shaped strings; the home directory shortened
to `~`), HTML also over its visible text so a tag cannot split a secret. The owner's get the
configured provider keys removed, so a key never reaches a browser even when a tool prints it;
everything else the owner's own session shows (its `.env`, its errors) the owner may see.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass

from markupsafe import Markup
from starlette.datastructures import Headers
from starlette.routing import BaseRoute
from starlette.types import Message, Scope, Send

from codesm.security.redact import Redactor
from codesm.security.redact_split import redact_html
from codesm.web.auth import OwnerAuth
from codesm.web.lan import LanShare
from codesm.web.roles import (
    ANONYMOUS,
    PRINCIPAL_SCOPE_KEY,
    Principal,
    Role,
    match_route,
    may_use_route,
)
from codesm.web.sharing import ShareRegistry

_CURRENT_CSRF: ContextVar[str | None] = ContextVar("codesm_csrf", default=None)
_REDACTED_TYPES = ("text/", "application/json")


class CsrfForRequest:
    """The template global `csrf_token`: the CSRF token of whoever the page is rendered for.

    The middleware sets it per request and socket, so a guest's page never carries the owner's
    token; outside a request it is the owner's.
    """

    def __init__(self, owner_token: str) -> None:
        self.owner_token = owner_token

    def __str__(self) -> str:
        current = _CURRENT_CSRF.get()
        return self.owner_token if current is None else current

    def __html__(self) -> str:
        return str(Markup.escape(str(self)))


@dataclass(frozen=True, slots=True)
class Access:
    """Everything the middleware needs beyond the owner's credentials to decide and redact."""

    routes: Sequence[BaseRoute]
    shares: ShareRegistry
    lan: LanShare
    guest_redactor: Redactor
    owner_redactor: Redactor

    def principal(self, auth: OwnerAuth, headers: Headers) -> Principal:
        cookie = headers.get("cookie")
        if auth.cookie_matches(cookie):
            return Principal(Role.OWNER, auth.csrf_token)
        return self.shares.principal(cookie) or ANONYMOUS

    def allows(self, principal: Principal, scope: Scope) -> bool:
        key, params = match_route(self.routes, scope)
        return may_use_route(principal, key, params)

    def redactor_for(self, principal: Principal) -> Redactor:
        return self.owner_redactor if principal.role is Role.OWNER else self.guest_redactor


def enter(scope: Scope, principal: Principal) -> None:
    """Publish the principal to the handler and the templates (same task, same context)."""
    scope[PRINCIPAL_SCOPE_KEY] = principal
    _CURRENT_CSRF.set(principal.csrf_token)


def redacting_http_send(send: Send, redactor: Redactor) -> Send:
    """Buffers text, HTML and JSON responses and sends them redacted (other types pass)."""
    start: Message | None = None
    chunks: list[bytes] = []

    async def redacting_send(message: Message) -> None:
        nonlocal start
        kind = message["type"]
        if kind == "http.response.start":
            content_type = Headers(raw=message.get("headers", [])).get("content-type", "")
            if content_type.startswith(_REDACTED_TYPES):
                start = message
                return
        elif kind == "http.response.body" and start is not None:
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            text = b"".join(chunks).decode("utf-8", "replace")
            kind = Headers(raw=start.get("headers", [])).get("content-type", "")
            redacted = redact_html(text, redactor) if "html" in kind else redactor.redact(text)
            body = redacted.encode()
            headers = [
                (k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"
            ]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            start = None
            await send({"type": "http.response.body", "body": body})
            return
        await send(message)

    return redacting_send


def redacting_ws_send(send: Send, redactor: Redactor) -> Send:
    async def redacting_send(message: Message) -> None:
        if message["type"] == "websocket.send" and message.get("text") is not None:
            # Frames are HTML fragments: a secret split by tags is caught too.
            message = {**message, "text": redact_html(message["text"], redactor)}
        await send(message)

    return redacting_send
