"""The one security middleware: every HTTP request and WebSocket handshake passes through it.

Pure ASGI (not BaseHTTPMiddleware) so it sees WebSocket scopes and can refuse a handshake before
the application ever calls `accept()`. In order, for HTTP:

1. Host is exactly a served name and port, else 403 (DNS rebinding).
2. `?token=` on a page is traded for the owner cookie and a 303 to the same URL without it.
3. Everything but GET/HEAD of the public paths (health check, static files) needs the cookie: 401.
4. Every method but GET/HEAD needs the CSRF header and a same-origin Origin (or, with no Origin,
   `Sec-Fetch-Site: same-origin`): 403.
5. Bodies over the limit: 413.

With an `Access` (the app always has one), step 3 is the role table instead: the owner cookie
or a share link's cookie names a principal, and `roles.py` decides per route; `?share=` is traded
for the link's own cookie like the owner token. Guests' responses and frames are redacted.

For a WebSocket: Host, then Origin exactly a served origin (a missing Origin is refused: only
browsers send one, and they cannot forge it), then the cookie (or the role table), then the
connection cap; a
refusal is an HTTP response to the handshake. Incoming messages over the frame limit close the
socket with 1009. Every response that passes through gets the CSP and hardening headers and
loses any CORS header (Starlette's outermost ServerErrorMiddleware writes its bare 500s itself).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlencode

from starlette.datastructures import Headers, QueryParams
from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from codesm.web.access import Access, enter, redacting_http_send, redacting_ws_send
from codesm.web.auth import CSRF_HEADER, OwnerAuth
from codesm.web.hosts import ServedHosts
from codesm.web.roles import ANONYMOUS, Principal, Role
from codesm.web.sharing import SHARE_PARAM

SAFE_METHODS = frozenset({"GET", "HEAD"})
TOKEN_PARAM = "token"
EXCHANGE_PATH = "/auth"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)
HARDENING_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)
_REPLACED = frozenset(name for name, _ in HARDENING_HEADERS)
_CSP = b"content-security-policy"
_NO_STORE = {"cache-control": "no-store"}

LOGIN_HINT = (
    "<!doctype html><title>codesm: sign-in needed</title>"
    "<p>This codesm server needs its owner token. Open the URL that <code>codesm web</code> "
    "printed in your terminal (it contains <code>?token=</code>).</p>"
)


@dataclass(frozen=True, slots=True)
class SandboxedFrames:
    """Documents our own pages show in sandboxed iframes, and the scripts those documents load.

    Such a document keeps the CSP its handler wrote, but only while that policy sandboxes it
    without `allow-same-origin` (else the page CSP applies), and only this origin may frame it
    (`X-Frame-Options: SAMEORIGIN`; its CSP says `frame-ancestors 'self'`). A sandboxed document
    has an opaque origin, so Chromium refuses scripts sent with `CORP: same-origin` to it
    (ERR_BLOCKED_BY_RESPONSE.NotSameOrigin): the public static scripts it loads go out as
    `cross-origin`, which exposes nothing a GET of /static does not.
    """

    documents: frozenset[str] = frozenset()
    scripts: frozenset[str] = frozenset()

    def hardening(self, path: str, handler_csps: list[bytes]) -> list[tuple[bytes, bytes]]:
        """The hardening headers for a response to `path` whose handler set `handler_csps`."""
        if path in self.scripts:
            return _with(HARDENING_HEADERS, b"cross-origin-resource-policy", b"cross-origin")
        if path in self.documents and handler_csps and all(map(_sandboxes, handler_csps)):
            framable = _with(HARDENING_HEADERS, b"x-frame-options", b"SAMEORIGIN")
            return [(_CSP, csp) for csp in handler_csps] + [h for h in framable if h[0] != _CSP]
        return list(HARDENING_HEADERS)


def _with(
    headers: Iterable[tuple[bytes, bytes]], name: bytes, value: bytes
) -> list[tuple[bytes, bytes]]:
    return [(n, value if n == name else v) for n, v in headers]


def _sandboxes(csp: bytes) -> bool:
    """True if the policy has a `sandbox` directive that keeps the document's origin opaque."""
    for directive in csp.decode("latin-1").lower().split(";"):
        tokens = directive.split()
        if tokens and tokens[0] == "sandbox":
            return "allow-same-origin" not in tokens
    return False


@dataclass(frozen=True, slots=True)
class SecurityPolicy:
    """What the middleware enforces; built once per app from its WebConfig."""

    hosts: ServedHosts
    auth: OwnerAuth
    public_paths: frozenset[str]
    public_prefixes: tuple[str, ...]
    max_body_bytes: int
    max_ws_message_bytes: int
    max_ws_connections: int
    access: Access | None = None
    frames: SandboxedFrames = SandboxedFrames()

    @property
    def served(self) -> ServedHosts:
        """The names answered now: sharing on the LAN adds one while the server runs."""
        return self.access.lan.hosts if self.access is not None else self.hosts

    def principal(self, headers: Headers) -> Principal:
        if self.access is not None:
            return self.access.principal(self.auth, headers)
        if self.auth.cookie_matches(headers.get("cookie")):
            return Principal(Role.OWNER, self.auth.csrf_token)
        return ANONYMOUS

    def carries_share_cookie(self, headers: Headers) -> bool:
        """A share cookie that no longer resolves: its link expired or was revoked (403)."""
        cookie = headers.get("cookie") or ""
        return self.access is not None and f"{self.access.shares.cookie_name}=" in cookie

    def allows(self, principal: Principal, scope: Scope) -> bool:
        if self.access is not None:
            return self.access.allows(principal, scope)
        public = scope["type"] == "http" and scope["method"] in SAFE_METHODS
        return principal.role is Role.OWNER or (public and self.is_public(scope["path"]))

    def is_public(self, path: str) -> bool:
        return path in self.public_paths or path.startswith(self.public_prefixes)

    def host_ok(self, headers: Headers) -> bool:
        values = headers.getlist("host")
        return len(values) == 1 and self.served.allows_host(values[0])

    def same_origin_write(self, headers: Headers, principal: Principal) -> bool:
        """CSRF header valid and the request provably from one of our own pages."""
        expected = principal.csrf_token.encode()
        given = (headers.get(CSRF_HEADER) or "").encode("utf-8", "replace")
        if not expected or not hmac.compare_digest(given, expected):
            return False
        origins = headers.getlist("origin")
        if origins:
            return len(origins) == 1 and self.served.allows_origin(origins[0])
        return headers.get("sec-fetch-site") == "same-origin"

    def websocket_refusal(self, scope: Scope, principal: Principal) -> str | None:
        headers = Headers(scope=scope)
        if not self.host_ok(headers):
            return "Host not allowed"
        origins = headers.getlist("origin")
        if len(origins) != 1 or not self.served.allows_origin(origins[0]):
            return "Origin not allowed"
        if principal.role is Role.ANONYMOUS:
            return "not signed in"
        if not self.allows(principal, scope):
            return "not allowed for this link"
        return None


class SecurityMiddleware:
    """Pure ASGI middleware enforcing a SecurityPolicy on HTTP and WebSocket scopes."""

    def __init__(self, app: ASGIApp, *, policy: SecurityPolicy) -> None:
        self.app = app
        self.policy = policy
        self.open_websockets = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, _hardened(send, scope["path"], self.policy.frames))
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        policy = self.policy
        headers = Headers(scope=scope)
        method: str = scope["method"]
        path: str = scope["path"]
        if not policy.host_ok(headers):
            return await _respond(PlainTextResponse("Host not allowed", 403), scope, receive, send)
        query = QueryParams(scope.get("query_string", b""))
        if method in SAFE_METHODS and TOKEN_PARAM in query and not policy.is_public(path):
            return await _respond(self._exchange(path, query), scope, receive, send)
        if method in SAFE_METHODS and SHARE_PARAM in query and policy.access is not None:
            exchanged = self._exchange_share(path, query, headers)
            return await _respond(exchanged, scope, receive, send)
        principal = policy.principal(headers)
        if not policy.allows(principal, scope):
            if principal.role is Role.ANONYMOUS and not policy.carries_share_cookie(headers):
                login = HTMLResponse(LOGIN_HINT, 401, _NO_STORE)
                return await _respond(login, scope, receive, send)
            refusal = PlainTextResponse(
                "not allowed for this link (or the link was revoked or expired)", 403, _NO_STORE
            )
            return await _respond(refusal, scope, receive, send)
        enter(scope, principal)
        if policy.access is not None and not path.startswith(policy.public_prefixes):
            send = redacting_http_send(send, policy.access.redactor_for(principal))
        if method not in SAFE_METHODS and not policy.same_origin_write(headers, principal):
            refusal = PlainTextResponse("cross-site or unauthenticated write refused", 403)
            return await _respond(refusal, scope, receive, send)
        declared = _content_length(headers)
        if declared is None:
            return await _respond(
                PlainTextResponse("bad Content-Length", 400), scope, receive, send
            )
        if declared > policy.max_body_bytes:
            return await _respond(PlainTextResponse("body too large", 413), scope, receive, send)
        await self._call_with_body_limit(scope, receive, send)

    def _exchange(self, path: str, query: QueryParams) -> Response:
        tokens = query.getlist(TOKEN_PARAM)
        if len(tokens) != 1 or not self.policy.auth.token_matches(tokens[0]):
            return HTMLResponse(LOGIN_HINT, 401, _NO_STORE)
        rest = urlencode([(k, v) for k, v in query.multi_items() if k != TOKEN_PARAM])
        target = "/" if path == EXCHANGE_PATH or not _is_local_path(path) else path
        response = RedirectResponse(target + (f"?{rest}" if rest else ""), 303, _NO_STORE)
        response.headers.append("set-cookie", self.policy.auth.set_cookie_header())
        return response

    def _exchange_share(self, path: str, query: QueryParams, headers: Headers) -> Response:
        access = cast(Access, self.policy.access)
        tokens = query.getlist(SHARE_PARAM)
        link = access.shares.resolve(tokens[0]) if len(tokens) == 1 else None
        if link is None:
            gone = "<!doctype html><title>codesm</title><p>This share link is not valid any more."
            return HTMLResponse(gone, 403, _NO_STORE)
        rest = urlencode([(k, v) for k, v in query.multi_items() if k != SHARE_PARAM])
        target = f"/s/{link.session_id}" + (f"?{rest}" if rest else "")
        response = RedirectResponse(target, 303, _NO_STORE)
        response.headers.append("set-cookie", access.shares.set_cookie_header(tokens[0], link))
        # Names this browser for the owner's presence list; a browser that has one keeps it.
        response.headers.append("set-cookie", access.shares.guest_id_cookie_header(link, headers))
        return response

    async def _call_with_body_limit(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.policy.max_body_bytes
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, "body too large")
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except HTTPException as exc:
            if exc.status_code != 413 or started:
                raise
            await PlainTextResponse("body too large", 413)(scope, receive, send)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        policy = self.policy
        principal = policy.principal(Headers(scope=scope))
        refusal = policy.websocket_refusal(scope, principal)
        if refusal is not None:
            return await _deny_websocket(scope, receive, send, 403, refusal)
        if self.open_websockets >= policy.max_ws_connections:
            return await _deny_websocket(scope, receive, send, 503, "too many connections")
        enter(scope, principal)
        if policy.access is not None:
            send = redacting_ws_send(send, policy.access.redactor_for(principal))
        self.open_websockets += 1
        try:
            await self.app(scope, *_frame_limited(receive, send, policy.max_ws_message_bytes))
        finally:
            self.open_websockets -= 1


def _hardened(send: Send, path: str = "", frames: SandboxedFrames = SandboxedFrames()) -> Send:
    async def send_hardened(message: Message) -> None:
        if message["type"] in ("http.response.start", "websocket.http.response.start"):
            message = {**message, "headers": _harden(message.get("headers", ()), path, frames)}
        await send(message)

    return send_hardened


def _harden(
    headers: Iterable[tuple[bytes, bytes]], path: str, frames: SandboxedFrames
) -> list[tuple[bytes, bytes]]:
    kept: list[tuple[bytes, bytes]] = []
    handler_csps: list[bytes] = []
    for name, value in headers:
        lower = name.lower()
        if lower == _CSP:
            handler_csps.append(value)
        elif not lower.startswith(b"access-control-") and lower not in _REPLACED:
            kept.append((name, value))
    return kept + frames.hardening(path, handler_csps)


async def _respond(response: Response, scope: Scope, receive: Receive, send: Send) -> None:
    await response(scope, receive, send)


def _content_length(headers: Headers) -> int | None:
    """The declared body size (0 if none), or None if the header is not one plain number."""
    values = headers.getlist("content-length")
    if not values:
        return 0
    if len(values) != 1 or not values[0].isascii() or not values[0].isdigit():
        return None
    return int(values[0])


def _is_local_path(path: str) -> bool:
    """A redirect target that stays on this origin (`//evil.example` would not)."""
    return path.startswith("/") and not path.startswith("//") and "\\" not in path


async def _deny_websocket(
    scope: Scope, receive: Receive, send: Send, status: int, why: str
) -> None:
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    if "websocket.http.response" in scope.get("extensions", {}):
        body = why.encode()
        headers = [(b"content-type", b"text/plain; charset=utf-8")]
        headers.append((b"content-length", str(len(body)).encode()))
        start = {"type": "websocket.http.response.start", "status": status, "headers": headers}
        await _hardened(send)(start)
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        # Closing before accept makes the server answer the handshake with 403.
        await send({"type": "websocket.close", "code": 1008})


def _frame_limited(receive: Receive, send: Send, limit: int) -> tuple[Receive, Send]:
    closed = False

    async def limited_receive() -> Message:
        nonlocal closed
        message = await receive()
        if message["type"] == "websocket.receive":
            text = message.get("text")
            size = len(message.get("bytes") or b"") + (len(text.encode()) if text else 0)
            if size > limit:
                closed = True
                await send({"type": "websocket.close", "code": 1009, "reason": "message too big"})
                return {"type": "websocket.disconnect", "code": 1009}
        return message

    async def guarded_send(message: Message) -> None:
        if not closed:
            await send(message)

    return limited_receive, guarded_send
