"""Body, frame and connection limits, and header hygiene, on a tiny app behind the middleware."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient, WebSocketDenialResponse
from starlette.websockets import WebSocket, WebSocketDisconnect

from codesm.web.auth import OwnerAuth, new_owner_token
from codesm.web.hosts import ServedHosts
from codesm.web.security import SecurityMiddleware, SecurityPolicy

PORT = 9123
BASE = f"http://127.0.0.1:{PORT}"
AUTH = OwnerAuth.from_token(new_owner_token(), port=PORT)
OWNER = {
    "cookie": f"{AUTH.cookie_name}={AUTH.cookie_value}",
    "x-csrf-token": AUTH.csrf_token,
    "origin": BASE,
}
BODY_LIMIT = 1000
FRAME_LIMIT = 100
MAX_SOCKETS = 2


async def echo_length(request: Request) -> Response:
    return PlainTextResponse(str(len(await request.body())))


async def wants_cors(request: Request) -> Response:
    return PlainTextResponse(
        "hi",
        headers={
            "access-control-allow-origin": "*",
            "Access-Control-Allow-Credentials": "true",
            "content-security-policy": "default-src *",
        },
    )


async def echo_socket(websocket: WebSocket) -> None:
    await websocket.accept()
    try:
        while True:
            await websocket.send_text(await websocket.receive_text())
    except WebSocketDisconnect:
        pass


def tiny_app() -> Starlette:
    policy = SecurityPolicy(
        hosts=ServedHosts.for_port(PORT),
        auth=AUTH,
        public_paths=frozenset({"/cors"}),
        public_prefixes=(),
        max_body_bytes=BODY_LIMIT,
        max_ws_message_bytes=FRAME_LIMIT,
        max_ws_connections=MAX_SOCKETS,
    )
    return Starlette(
        routes=[
            Route("/echo", echo_length, methods=["POST"]),
            Route("/cors", wants_cors),
            WebSocketRoute("/ws", echo_socket),
        ],
        middleware=[Middleware(SecurityMiddleware, policy=policy)],
    )


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(tiny_app(), base_url=BASE) as test_client:
        yield test_client


def test_a_body_at_the_limit_reaches_the_handler(client: TestClient) -> None:
    response = client.post("/echo", headers=OWNER, content=b"x" * BODY_LIMIT)
    assert response.text == str(BODY_LIMIT)


def test_a_declared_body_over_the_limit_is_refused_with_413(client: TestClient) -> None:
    assert client.post("/echo", headers=OWNER, content=b"x" * (BODY_LIMIT + 1)).status_code == 413


def test_a_streamed_body_over_the_limit_is_refused_with_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(5):
            yield b"x" * 300

    response = client.post("/echo", headers=OWNER, content=chunks())
    assert "content-length" not in response.request.headers
    assert response.status_code == 413


def test_cors_and_weaker_csp_headers_from_a_handler_are_replaced(client: TestClient) -> None:
    response = client.get("/cors")
    assert not [h for h in response.headers if h.lower().startswith("access-control-")]
    assert response.headers.get_list("content-security-policy") == [
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'self'"
    ]


def test_a_websocket_message_over_the_frame_limit_closes_the_socket_with_1009(
    client: TestClient,
) -> None:
    with client.websocket_connect(f"ws://127.0.0.1:{PORT}/ws", headers=OWNER) as ws:
        ws.send_text("a" * FRAME_LIMIT)
        assert ws.receive_text() == "a" * FRAME_LIMIT
        ws.send_text("é" * (FRAME_LIMIT // 2 + 1))  # counted in bytes, not characters
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
        assert closed.value.code == 1009


def test_websocket_connections_are_capped_and_freed_on_close(client: TestClient) -> None:
    url = f"ws://127.0.0.1:{PORT}/ws"
    with client.websocket_connect(url, headers=OWNER), client.websocket_connect(url, headers=OWNER):
        with (
            pytest.raises(WebSocketDenialResponse) as denial,
            client.websocket_connect(url, headers=OWNER),
        ):
            pass
        assert denial.value.status_code == 503
    with client.websocket_connect(url, headers=OWNER) as ws:
        ws.send_text("still serving")
        assert ws.receive_text() == "still serving"
