"""The web server's security rules (SECURITY.md, "Web server"), checked in-process.

The route matrices are generated from `app.routes`, so a new route is covered without editing
this file: it gets the hostile-Host, no-cookie, CSRF and no-CORS checks automatically.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import httpx
import pytest
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.testclient import TestClient, WebSocketDenialResponse

from codesm.web.app import create_app
from codesm.web.auth import OwnerAuth, new_owner_token
from codesm.web.config import WebConfig
from codesm.web.security import CONTENT_SECURITY_POLICY

PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"
WS_BASE = f"ws://127.0.0.1:{PORT}"
GOOD_ORIGIN = BASE
TOKEN = new_owner_token()
AUTH = OwnerAuth.from_token(TOKEN, port=PORT)
GOOD_COOKIE = f"{AUTH.cookie_name}={AUTH.cookie_value}"
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
WRITE_METHODS = tuple(m for m in METHODS if m not in ("GET", "HEAD"))
PUBLIC_ROUTE_PATHS = {"/healthz", "/static"}

HOSTILE_HOSTS = (
    "evil.example",
    f"evil.example:{PORT}",
    f"127.0.0.1.nip.io:{PORT}",
    f"127.1:{PORT}",
    f"2130706433:{PORT}",
    f"0x7f000001:{PORT}",
    f"[::ffff:127.0.0.1]:{PORT}",
    f"0.0.0.0:{PORT}",
    f"127.0.0.2:{PORT}",
    f"127.0.0.1:{PORT + 1}",
    f"[::1]:{PORT + 1}",
    "127.0.0.1",
    "localhost",
    f"localhost.:{PORT}",
    f"127.0.0.1:0{PORT}",
    f"127.0.0.1:{PORT}:{PORT}",
    f"user@127.0.0.1:{PORT}",
    f"localhost:{PORT}@evil.example",
    f"[::1]:{PORT}.evil.example",
)
GOOD_HOSTS = (f"127.0.0.1:{PORT}", f"localhost:{PORT}", f"[::1]:{PORT}", f"LocalHost:{PORT}")

BAD_ORIGINS = (
    None,
    "null",
    "http://evil.example",
    f"http://127.0.0.1:{PORT + 1}",
    f"https://127.0.0.1:{PORT}",
    f"http://127.0.0.1.nip.io:{PORT}",
    f"http://localhost:{PORT}.evil.example",
    f"http://127.0.0.1:{PORT}/",
    f"http://[::ffff:127.0.0.1]:{PORT}",
    "file://",
    f"ws://127.0.0.1:{PORT}",
)
GOOD_ORIGINS = (GOOD_ORIGIN, f"http://localhost:{PORT}", f"http://[::1]:{PORT}")
COOKIES = {
    "no cookie": None,
    "bad cookie": f"{AUTH.cookie_name}=not-the-cookie",
    "good": GOOD_COOKIE,
}

WORKSPACE = Path(__file__).resolve().parent
_DATA = tempfile.TemporaryDirectory(prefix="codesm-web-security-")
APP = create_app(
    WebConfig(
        workspace=WORKSPACE,
        port=PORT,
        owner_token=TOKEN,
        db_path=Path(_DATA.name) / "codesm.db",
    )
)


def sample_path(route: BaseRoute) -> str:
    """A concrete URL path that reaches `route` (path parameters filled in)."""
    if isinstance(route, Mount):
        return f"{route.path}/probe.txt"
    assert isinstance(route, Route | WebSocketRoute), f"unknown route type {route!r}"
    return re.sub(r"\{[^}]+\}", "sample1", route.path)


HTTP_PATHS = [sample_path(r) for r in APP.routes if not isinstance(r, WebSocketRoute)]
WS_PATHS = [sample_path(r) for r in APP.routes if isinstance(r, WebSocketRoute)]
PROTECTED_HTTP_PATHS = [
    sample_path(r)
    for r in APP.routes
    if not isinstance(r, WebSocketRoute) and r.path not in PUBLIC_ROUTE_PATHS  # type: ignore[attr-defined]
]


@pytest.fixture(scope="module")
def shared_client() -> Iterator[TestClient]:
    with TestClient(APP, base_url=BASE, follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def client(shared_client: TestClient) -> TestClient:
    """The module's client, cookie jar emptied: a test sends exactly the cookies it names."""
    shared_client.cookies.clear()
    return shared_client


def owner_headers(**extra: str) -> dict[str, str]:
    """Everything a legitimate page sends on a write: cookie, CSRF header, our Origin."""
    return {"cookie": GOOD_COOKIE, "x-csrf-token": AUTH.csrf_token, "origin": GOOD_ORIGIN, **extra}


def ws_headers(origin: str | None, cookie: str | None, host: str | None = None) -> dict[str, str]:
    headers = {}
    if origin is not None:
        headers["origin"] = origin
    if cookie is not None:
        headers["cookie"] = cookie
    if host is not None:
        headers["host"] = host
    return headers


def assert_no_cors(headers: Iterable[str]) -> None:
    names = [name.lower() for name in headers]
    assert not [n for n in names if n.startswith("access-control-")], names


def test_the_generated_matrices_cover_every_route() -> None:
    assert len(HTTP_PATHS) + len(WS_PATHS) == len(APP.routes)
    assert WS_PATHS, "the app has a WebSocket route"
    assert PROTECTED_HTTP_PATHS


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("path", HTTP_PATHS)
def test_every_route_and_method_refuses_every_hostile_host(
    client: TestClient, path: str, method: str
) -> None:
    wrong = {}
    for host in HOSTILE_HOSTS:
        response = client.request(method, path, headers=owner_headers(host=host))
        assert_no_cors(response.headers)
        if response.status_code != 403:
            wrong[host] = response.status_code
    assert wrong == {}


@pytest.mark.parametrize("path", WS_PATHS)
def test_every_websocket_refuses_every_hostile_host(client: TestClient, path: str) -> None:
    with client.websocket_connect(WS_BASE + path, headers=ws_headers(GOOD_ORIGIN, GOOD_COOKIE)):
        pass  # the same handshake with a good Host opens
    wrong = []
    for host in HOSTILE_HOSTS:
        try:
            headers = ws_headers(GOOD_ORIGIN, GOOD_COOKIE, host)
            with client.websocket_connect(WS_BASE + path, headers=headers):
                wrong.append(host)
        except WebSocketDenialResponse as denial:
            assert denial.status_code == 403, host
    assert wrong == []


@pytest.mark.parametrize("host", GOOD_HOSTS)
def test_the_served_names_with_the_served_port_are_accepted(client: TestClient, host: str) -> None:
    assert client.get("/healthz", headers={"host": host}).status_code == 200
    assert client.get("/", headers={"host": host, "cookie": GOOD_COOKIE}).status_code in (200, 303)


async def test_a_request_without_a_host_header_is_refused() -> None:
    for headers in ([], [(b"host", b"127.0.0.1:8765"), (b"host", b"evil.example")]):
        sent: list[dict[str, object]] = []

        async def receive() -> dict[str, object]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, object], sent: list[dict[str, object]] = sent) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": "/healthz",
            "raw_path": b"/healthz",
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 5000),
            "server": ("127.0.0.1", PORT),
        }
        await APP(scope, receive, send)  # type: ignore[arg-type]
        assert sent[0]["status"] == 403, headers


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("path", PROTECTED_HTTP_PATHS)
def test_every_protected_route_refuses_a_request_without_the_owner_cookie(
    client: TestClient, path: str, method: str
) -> None:
    for cookie in (
        None,
        f"{AUTH.cookie_name}=wrong",
        f"codesm_owner_{PORT + 1}={AUTH.cookie_value}",
    ):
        headers = {"x-csrf-token": AUTH.csrf_token, "origin": GOOD_ORIGIN}
        if cookie:
            headers["cookie"] = cookie
        response = client.request(method, path, headers=headers)
        assert response.status_code in (401, 403), (cookie, response.status_code)


def test_only_health_and_static_files_are_reachable_without_the_cookie(client: TestClient) -> None:
    open_paths = {
        route.path  # type: ignore[attr-defined]
        for route, path in zip(APP.routes, map(sample_path, APP.routes), strict=True)
        if not isinstance(route, WebSocketRoute) and client.get(path).status_code != 401
    }
    assert open_paths == PUBLIC_ROUTE_PATHS
    assert client.get("/static/css/app.css").status_code == 200
    assert client.get("/healthz").text == "ok"


def test_the_login_hint_is_html_with_the_csp_and_no_secrets(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 401
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert AUTH.csrf_token not in response.text and TOKEN not in response.text


def test_the_launch_token_is_traded_for_a_strict_cookie_and_a_redirect_without_it(
    client: TestClient,
) -> None:
    response = client.get(f"/?token={TOKEN}")
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert response.headers["cache-control"] == "no-store"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{AUTH.cookie_name}={AUTH.cookie_value};")
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert flags == {"httponly", "samesite=strict", "path=/"}
    assert TOKEN not in cookie


def test_the_exchange_keeps_the_page_and_other_parameters(client: TestClient) -> None:
    response = client.get(f"/s/abc?view=diff&token={TOKEN}")
    assert response.headers["location"] == "/s/abc?view=diff"
    assert client.get(f"/auth?token={TOKEN}").headers["location"] == "/"


def test_the_exchange_never_redirects_off_site(client: TestClient) -> None:
    response = client.get(f"{BASE}//evil.example/?token={TOKEN}")
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_the_cookie_from_the_exchange_opens_the_page(tmp_path: Path) -> None:
    with TestClient(APP, base_url=BASE) as browser:
        page = browser.get(f"/?token={TOKEN}")
        assert page.status_code == 200
        assert str(page.url) == f"{BASE}/" or str(page.url).startswith(f"{BASE}/s/")
        assert 'id="transcript"' in page.text


@pytest.mark.parametrize(
    "query",
    ["token=", "token=x", f"token={TOKEN}x", f"token={TOKEN[:-1]}", f"token={TOKEN}&token={TOKEN}"],
)
def test_a_wrong_launch_token_gets_no_cookie(client: TestClient, query: str) -> None:
    response = client.get(f"/?{query}")
    assert response.status_code == 401
    assert "set-cookie" not in response.headers


def test_a_thousand_wrong_tokens_and_cookies_get_in_zero_times(client: TestClient) -> None:
    successes = 0
    for _ in range(1000):
        guess = new_owner_token()
        exchanged = client.get(f"/?token={guess}")
        page = client.get("/", headers={"cookie": f"{AUTH.cookie_name}={guess}"})
        successes += exchanged.status_code != 401 or "set-cookie" in exchanged.headers
        successes += page.status_code != 401
    assert successes == 0


@pytest.mark.parametrize("cookie_kind", list(COOKIES))
@pytest.mark.parametrize("origin", [*BAD_ORIGINS, *GOOD_ORIGINS])
def test_only_a_served_origin_with_the_owner_cookie_opens_the_websocket(
    client: TestClient, origin: str | None, cookie_kind: str
) -> None:
    headers = ws_headers(origin, COOKIES[cookie_kind])
    should_open = origin in GOOD_ORIGINS and cookie_kind == "good"
    if should_open:
        with client.websocket_connect(f"{WS_BASE}{WS_PATHS[0]}", headers=headers) as ws:
            assert 'id="connection-state"' in ws.receive_text()
    else:
        with (
            pytest.raises(WebSocketDenialResponse) as denial,
            client.websocket_connect(f"{WS_BASE}{WS_PATHS[0]}", headers=headers),
        ):
            pass
        assert denial.value.status_code == 403
        assert_no_cors(denial.value.headers)


def test_a_websocket_with_two_origin_headers_is_refused(client: TestClient) -> None:
    headers = httpx.Headers(
        [("origin", GOOD_ORIGIN), ("origin", "http://evil.example"), ("cookie", GOOD_COOKIE)]
    )
    with (
        pytest.raises(WebSocketDenialResponse),
        client.websocket_connect(f"{WS_BASE}{WS_PATHS[0]}", headers=headers),
    ):
        pass


CSRF_ATTACKS = {
    "no token": {"cookie": GOOD_COOKIE, "origin": GOOD_ORIGIN},
    "bad token": owner_headers(**{"x-csrf-token": "forged"}),
    "the cookie as token": owner_headers(**{"x-csrf-token": AUTH.cookie_value}),
    "the launch token as token": owner_headers(**{"x-csrf-token": TOKEN}),
    "foreign origin": owner_headers(origin="http://evil.example"),
    "null origin": owner_headers(origin="null"),
    "no origin, no fetch metadata": {"cookie": GOOD_COOKIE, "x-csrf-token": AUTH.csrf_token},
    "no origin, cross-site fetch": {
        "cookie": GOOD_COOKIE,
        "x-csrf-token": AUTH.csrf_token,
        "sec-fetch-site": "cross-site",
    },
    "foreign origin claiming same-origin": owner_headers(
        origin="http://evil.example", **{"sec-fetch-site": "same-origin"}
    ),
    "cross-site form post": {
        "cookie": GOOD_COOKIE,
        "origin": "http://evil.example",
        "content-type": "application/x-www-form-urlencoded",
        "sec-fetch-site": "cross-site",
        "sec-fetch-mode": "navigate",
    },
}


@pytest.mark.parametrize("attack", list(CSRF_ATTACKS))
@pytest.mark.parametrize("method", WRITE_METHODS)
@pytest.mark.parametrize("path", HTTP_PATHS)
def test_every_write_without_csrf_proof_is_refused(
    client: TestClient, path: str, method: str, attack: str
) -> None:
    response = client.request(method, path, headers=CSRF_ATTACKS[attack], content=b"prompt=rm -rf")
    assert response.status_code == 403
    assert_no_cors(response.headers)


@pytest.mark.parametrize("method", WRITE_METHODS)
@pytest.mark.parametrize("path", HTTP_PATHS)
def test_a_write_with_csrf_proof_gets_past_the_middleware(
    client: TestClient, path: str, method: str
) -> None:
    for headers in (
        owner_headers(),
        {"cookie": GOOD_COOKIE, "x-csrf-token": AUTH.csrf_token, "sec-fetch-site": "same-origin"},
    ):
        # Past the security checks: the router or the handler answers (no such session, wrong
        # method, or the action itself), never the middleware's 401/403.
        status = client.request(method, path, headers=headers).status_code
        assert status not in (401, 403, 413), status


def test_no_response_ever_carries_cors_headers(client: TestClient) -> None:
    preflight = {
        "origin": "http://evil.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "x-csrf-token",
    }
    for path in HTTP_PATHS:
        for headers in (preflight, {**preflight, "cookie": GOOD_COOKIE}, owner_headers()):
            for method in METHODS:
                assert_no_cors(client.request(method, path, headers=headers).headers)


def test_html_pages_carry_the_csp_and_hardening_headers(client: TestClient) -> None:
    for path in ("/", "/files/tree", "/sessions"):
        response = client.get(path, headers={"cookie": GOOD_COOKIE}, follow_redirects=True)
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-frame-options"] == "DENY"


def test_an_oversized_post_is_refused_with_413(client: TestClient) -> None:
    body = b"x" * (10 * 1024 * 1024 + 1)
    assert client.post("/", headers=owner_headers(), content=body).status_code == 413


def test_a_malformed_content_length_is_refused(client: TestClient) -> None:
    response = client.post("/", headers=owner_headers(**{"content-length": "1e9"}), content=b"")
    assert response.status_code == 400
