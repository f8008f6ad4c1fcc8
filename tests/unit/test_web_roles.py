"""Who may do what, checked against the one table in `codesm/web/roles.py`: every route of the
app and every op a socket accepts, for anonymous, viewer, controller and owner, plus the share
links' lifecycle (exchange, wrong tokens, expiry, revocation)."""

from __future__ import annotations

import functools
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.testclient import WebSocketDenialResponse
from starlette.websockets import WebSocketDisconnect

from codesm.agent.ops import OP_TYPES
from codesm.web.roles import OP_ROLES, ROUTE_ROLES, SOCKET_MESSAGES, Role, route_keys
from codesm.web.session_socket import NOT_ALLOWED
from codesm.web.sharing import guest_csrf_token
from tests.unit.share_support import (
    LAN,
    LAN_BASE,
    PORT,
    ShareApp,
    frame,
    guest_cookie,
    guest_headers,
    share_app,
)

WS_LAN = f"ws://{LAN}:{PORT}"


@pytest.fixture
def web(tmp_path: Path) -> Iterator[ShareApp]:
    workspace = tmp_path / "project"
    workspace.mkdir()
    (workspace / "notes.txt").write_text("alpha\n")
    with share_app(workspace, tmp_path / "codesm.db") as app:
        yield app


def role_headers(web: ShareApp, role: Role, tokens: dict[str, str]) -> dict[str, str]:
    if role is Role.OWNER:
        return web.owner_headers()
    if role is Role.ANONYMOUS:
        return {"origin": LAN_BASE, "host": f"{LAN}:{PORT}"}
    return guest_headers(tokens[role.name.lower()])


def sample_path(path: str, session_id: str) -> str:
    path = path.replace("{session_id}", session_id).replace("{link_id}", "sample1")
    return re.sub(r"\{[^}]+\}", "sample1", path)


def test_every_route_and_op_has_exactly_one_entry_in_the_role_table(web: ShareApp) -> None:
    assert route_keys(web.client.app.routes) == set(ROUTE_ROLES)  # type: ignore[attr-defined]
    assert set(OP_TYPES) | SOCKET_MESSAGES == set(OP_ROLES)


def test_every_route_answers_each_role_as_the_table_says(web: ShareApp) -> None:
    sid = web.new_session()
    tokens = web.share(sid)
    wrong = []
    for route in web.client.app.routes:  # type: ignore[attr-defined]
        if isinstance(route, WebSocketRoute):
            continue
        methods = ["GET"] if isinstance(route, Mount) else sorted(route.methods - {"HEAD"})
        for method in methods:
            key = f"{method} {route.path}"
            for role in Role:
                # The owner acts on a session that does not exist, so no write changes anything.
                target = "sample1" if role is Role.OWNER else sid
                path = sample_path(route.path, target)
                if isinstance(route, Mount):
                    path = f"{route.path}/css/app.css"
                response = web.client.request(method, path, headers=role_headers(web, role, tokens))
                allowed = response.status_code not in (401, 403)
                if allowed != (role >= ROUTE_ROLES[key]):
                    wrong.append((key, role.name, response.status_code))
    assert wrong == []


def test_the_session_socket_opens_for_each_role_the_table_allows(web: ShareApp) -> None:
    sid = web.new_session()
    other = web.new_session()
    tokens = web.share(sid)
    needed = ROUTE_ROLES["WS /ws/s/{session_id}"]
    for role in Role:
        headers = role_headers(web, role, tokens)
        if role >= needed:
            with web.client.websocket_connect(f"{WS_LAN}/ws/s/{sid}", headers=headers) as ws:
                assert 'id="connection-state"' in ws.receive_text()
        else:
            with (
                pytest.raises(WebSocketDenialResponse),
                web.client.websocket_connect(f"{WS_LAN}/ws/s/{sid}", headers=headers),
            ):
                pass
    for role in (Role.VIEWER, Role.CONTROLLER):
        url = f"{WS_LAN}/ws/s/{other}"
        with (
            pytest.raises(WebSocketDenialResponse) as denied,
            web.client.websocket_connect(url, headers=role_headers(web, role, tokens)),
        ):
            pass
        assert denied.value.status_code == 403


def test_a_share_link_never_opens_another_session_or_the_sidebar(web: ShareApp) -> None:
    sid, other = web.new_session(), web.new_session()
    tokens = web.share(sid)
    for token in tokens.values():
        headers = guest_headers(token)
        assert web.client.get(f"/s/{other}", headers=headers).status_code == 403
        assert web.client.get("/sessions", headers=headers).status_code == 403
        assert web.client.get("/", headers=headers).status_code == 403
        page = web.client.get(f"/s/{sid}", headers=headers)
        assert page.status_code == 200
        assert other not in page.text and web.auth.csrf_token not in page.text


def read_flash(ws: object) -> str:
    for _ in range(50):
        text = str(ws.receive_text())  # type: ignore[attr-defined]
        if 'id="flash"' in text:
            return text
    raise AssertionError("no flash")


def test_every_op_is_refused_or_let_through_per_role_as_the_table_says(web: ShareApp) -> None:
    sid = web.new_session()
    tokens = web.share(sid)
    wrong = []
    for role in (Role.VIEWER, Role.CONTROLLER, Role.OWNER):
        headers = role_headers(web, role, tokens)
        csrf = headers["x-csrf-token"]
        with web.client.websocket_connect(f"{WS_LAN}/ws/s/{sid}", headers=headers) as ws:
            ws.receive_text()
            for op_type in sorted(OP_ROLES):
                # A bogus field: an op that gets past authorisation fails to parse, harmlessly.
                ws.send_text(frame(csrf, type=op_type, zz_not_a_field="1"))
                refused = NOT_ALLOWED in read_flash(ws)
                if refused != (role < OP_ROLES[op_type]):
                    wrong.append((op_type, role.name))
    assert wrong == []


def test_the_share_link_is_traded_for_its_own_cookie_and_stripped_from_the_url(
    web: ShareApp,
) -> None:
    sid = web.new_session()
    token = web.share(sid)["viewer"]
    response = web.client.get(f"/s/{sid}?share={token}", headers={"host": f"{LAN}:{PORT}"})
    assert response.status_code == 303 and response.headers["location"] == f"/s/{sid}"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"codesm_share_{PORT}={token};")
    assert {"httponly", "samesite=strict", "path=/"} <= {
        part.strip().lower() for part in cookie.split(";")[1:]
    }
    assert web.ctx.shares.live_links(sid)[0].token_hash != token.encode()


def test_a_thousand_wrong_share_tokens_get_in_zero_times(web: ShareApp) -> None:
    sid = web.new_session()
    web.share(sid)
    successes = 0
    lan = {"host": f"{LAN}:{PORT}"}
    for _ in range(1000):
        guess = secrets.token_urlsafe(32)
        exchanged = web.client.get(f"/s/{sid}?share={guess}", headers=lan)
        page = web.client.get(f"/s/{sid}", headers={**lan, "cookie": guest_cookie(guess)})
        successes += exchanged.status_code != 403 or "set-cookie" in exchanged.headers
        successes += page.status_code != 403
    assert successes == 0


def test_revoking_a_link_closes_its_socket_at_once_and_its_cookie_gets_403(
    web: ShareApp,
) -> None:
    sid = web.new_session()
    token = web.share(sid)["viewer"]
    (link,) = [lk for lk in web.ctx.shares.live_links(sid) if lk.role is Role.VIEWER]
    with web.client.websocket_connect(f"{WS_LAN}/ws/s/{sid}", headers=guest_headers(token)) as ws:
        ws.receive_text()
        assert web.ctx.shares.connected(link.id) == 1
        started = time.monotonic()
        revoked = web.client.post(f"/shares/{link.id}/revoke", headers=web.owner_headers())
        assert revoked.status_code == 200
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                ws.receive_text()
        assert closed.value.code == 4403
        assert time.monotonic() - started < 1.0
    assert web.client.get(f"/s/{sid}", headers=guest_headers(token)).status_code == 403
    assert web.client.get(f"/s/{sid}?share={token}").status_code == 403
    with (
        pytest.raises(WebSocketDenialResponse) as denied,
        web.client.websocket_connect(f"{WS_LAN}/ws/s/{sid}", headers=guest_headers(token)),
    ):
        pass
    assert denied.value.status_code == 403


def test_an_expired_link_closes_its_socket_and_gets_403(web: ShareApp) -> None:
    sid = web.new_session()
    web.share(sid)  # sharing on: the LAN name is served
    issue = functools.partial(web.ctx.shares.issue, sid, Role.CONTROLLER, ttl_s=0.6)
    issued = web.portal.call(issue)
    headers = guest_headers(issued.token)
    with web.client.websocket_connect(f"{WS_LAN}/ws/s/{sid}", headers=headers) as ws:
        ws.receive_text()
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                ws.receive_text()
        assert closed.value.code == 4403
    assert web.client.get(f"/s/{sid}", headers=headers).status_code == 403
    assert web.client.get(f"/s/{sid}?share={issued.token}").status_code == 403


def test_a_guest_frame_with_the_owner_csrf_token_is_refused(web: ShareApp) -> None:
    sid = web.new_session()
    token = web.share(sid)["controller"]
    with web.client.websocket_connect(f"{WS_LAN}/ws/s/{sid}", headers=guest_headers(token)) as ws:
        ws.receive_text()
        ws.send_text(frame(web.auth.csrf_token, type="cancel"))
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                ws.receive_text()
        assert closed.value.code == 1008
    assert guest_csrf_token(token) != web.auth.csrf_token


def test_sharing_binds_the_lan_address_once_and_allows_it_as_a_host(web: ShareApp) -> None:
    assert web.client.get("/healthz", headers={"host": f"{LAN}:{PORT}"}).status_code == 403
    sid = web.new_session()
    web.share(sid)
    web.share(sid, controller=False)
    assert web.bound == [LAN]
    assert web.client.get("/healthz", headers={"host": f"{LAN}:{PORT}"}).status_code == 200


def test_the_owner_panel_lists_live_links_without_their_tokens(web: ShareApp) -> None:
    sid = web.new_session()
    tokens = web.share(sid)
    panel = web.client.get(f"/shares?session={sid}", headers=web.owner_headers())
    assert panel.status_code == 200
    assert panel.text.count("Revoke") == 2
    assert all(token not in panel.text for token in tokens.values())


def test_route_keys_cover_plain_routes_mounts_and_sockets() -> None:
    routes = [
        Route("/a", lambda r: None, methods=["GET", "POST"]),
        Mount("/m", routes=[]),
        WebSocketRoute("/w", lambda w: None),
    ]
    assert route_keys(routes) == {"GET /a", "POST /a", "GET /m", "WS /w"}


def test_a_controller_cannot_answer_always_allow(web: ShareApp) -> None:
    sid = web.new_session()
    tokens = web.share(sid)
    headers = role_headers(web, Role.CONTROLLER, tokens)
    with web.client.websocket_connect(f"{WS_LAN}/ws/s/{sid}", headers=headers) as ws:
        ws.receive_text()
        for scope in ("session", "project"):
            ws.send_text(
                frame(headers["x-csrf-token"], type="approve", call_id="c1", remember=scope)
            )
            assert NOT_ALLOWED in read_flash(ws)
