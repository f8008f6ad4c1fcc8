"""The one security middleware: every HTTP request and WebSocket handshake passes through it.

Pure ASGI (not BaseHTTPMiddleware) so it sees WebSocket scopes and can refuse a handshake before
the application ever calls `accept()`. In order, for HTTP:

1. Host is exactly a served name and port, else 403 (DNS rebinding).
2. `?token=` on a page is traded for the owner cookie and a 303 to the same URL without it.
3. Everything but GET/HEAD of the public paths (health check, static files) needs the cookie: 401.
4. Every method but GET/HEAD needs the CSRF header and a same-origin Origin (or, with no Origin,
   `Sec-Fetch-Site: same-origin`): 403.
5. Bodies over the limit: 413.

For a WebSocket: Host, then Origin exactly a served origin (a missing Origin is refused: only
browsers send one, and they cannot forge it), then the cookie, then the connection cap; a
refusal is an HTTP response to the handshake. Incoming messages over the frame limit close the
socket with 1009. Every response that passes through gets the CSP and hardening headers and
loses any CORS header (Starlette's outermost ServerErrorMiddleware writes its bare 500s itself).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.datastructures import Headers, QueryParams
from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from codesm.web.auth import CSRF_HEADER, OwnerAuth
from codesm.web.hosts import ServedHosts

SAFE_METHODS = frozenset({"GET", "HEAD"})
TOKEN_PARAM = "token"
EXCHANGE_PATH = "/auth"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
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
_NO_STORE = {"cache-control": "no-store"}

LOGIN_HINT = (
    "<!doctype html><title>codesm: sign-in needed</title>"
    "<p>This codesm server needs its owner token. Open the URL that <code>codesm web</code> "
    "printed in your terminal (it contains <code>?token=</code>).</p>"
)


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

    def is_public(self, path: str) -> bool:
        return path in self.public_paths or path.startswith(self.public_prefixes)

    def host_ok(self, headers: Headers) -> bool:
        values = headers.getlist("host")
        return len(values) == 1 and self.hosts.allows_host(values[0])

    def same_origin_write(self, headers: Headers) -> bool:
        """CSRF header valid and the request provably from one of our own pages."""
        if not self.auth.csrf_matches(headers.get(CSRF_HEADER)):
            return False
        origins = headers.getlist("origin")
        if origins:
            return len(origins) == 1 and self.hosts.allows_origin(origins[0])
        return headers.get("sec-fetch-site") == "same-origin"

    def websocket_refusal(self, headers: Headers) -> str | None:
        if not self.host_ok(headers):
            return "Host not allowed"
        origins = headers.getlist("origin")
        if len(origins) != 1 or not self.hosts.allows_origin(origins[0]):
            return "Origin not allowed"
        if not self.auth.cookie_matches(headers.get("cookie")):
            return "not signed in"
        return None


class SecurityMiddleware:
    """Pure ASGI middleware enforcing a SecurityPolicy on HTTP and WebSocket scopes."""

    def __init__(self, app: ASGIApp, *, policy: SecurityPolicy) -> None:
        self.app = app
        self.policy = policy
        self.open_websockets = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, _hardened(send))
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
        if not (method in SAFE_METHODS and policy.is_public(path)) and not (
            policy.auth.cookie_matches(headers.get("cookie"))
        ):
            return await _respond(HTMLResponse(LOGIN_HINT, 401, _NO_STORE), scope, receive, send)
        if method not in SAFE_METHODS and not policy.same_origin_write(headers):
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
        refusal = policy.websocket_refusal(Headers(scope=scope))
        if refusal is not None:
            return await _deny_websocket(scope, receive, send, 403, refusal)
        if self.open_websockets >= policy.max_ws_connections:
            return await _deny_websocket(scope, receive, send, 503, "too many connections")
        self.open_websockets += 1
        try:
            await self.app(scope, *_frame_limited(receive, send, policy.max_ws_message_bytes))
        finally:
            self.open_websockets -= 1


def _hardened(send: Send) -> Send:
    async def send_hardened(message: Message) -> None:
        if message["type"] in ("http.response.start", "websocket.http.response.start"):
            message = {**message, "headers": _harden(message.get("headers", ()))}
        await send(message)

    return send_hardened


def _harden(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    kept = [
        (name, value)
        for name, value in headers
        if not name.lower().startswith(b"access-control-") and name.lower() not in _REPLACED
    ]
    return kept + list(HARDENING_HEADERS)


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
