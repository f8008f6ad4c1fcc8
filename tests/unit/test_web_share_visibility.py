"""A session's stored visibility and the web Share button agree with `codesm threads share`: the
Shares panel shows it, sharing a private session (the panel's confirm) stores it as `workspace`,
and making it private again revokes its links and closes the sockets opened through them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.websockets import WebSocketDisconnect

from codesm.store.sessions import Visibility
from tests.unit.share_support import LAN, PORT, ShareApp, guest_headers, share_app

WS_LAN = f"ws://{LAN}:{PORT}"


@pytest.fixture
def web(tmp_path: Path) -> Iterator[ShareApp]:
    workspace = tmp_path / "project"
    workspace.mkdir()
    with share_app(workspace, tmp_path / "codesm.db") as app:
        yield app


def stored_visibility(web: ShareApp, session_id: str) -> Visibility:
    session = web.portal.call(web.ctx.runtime.store.sessions.get, session_id)
    assert session is not None
    return session.visibility


def panel(web: ShareApp, session_id: str) -> str:
    response = web.client.get(f"/shares?session={session_id}", headers=web.owner_headers())
    assert response.status_code == 200
    return response.text


def test_sharing_a_private_session_from_the_panel_stores_it_as_workspace(web: ShareApp) -> None:
    sid = web.new_session()
    before = panel(web, sid)
    assert 'data-visibility="private"' in before
    assert "Starting to share stores it as" in before and "Make private" not in before
    assert stored_visibility(web, sid) == "private"

    web.share(sid, controller=False)
    assert stored_visibility(web, sid) == "workspace"
    after = panel(web, sid)
    assert 'data-visibility="workspace"' in after and "Make private" in after


def test_making_a_shared_session_private_revokes_its_links_and_closes_their_sockets(
    web: ShareApp,
) -> None:
    sid = web.new_session()
    other = web.new_session()
    tokens = web.share(sid)
    web.share(other, controller=False)
    with web.client.websocket_connect(
        f"{WS_LAN}/ws/s/{sid}", headers=guest_headers(tokens["viewer"])
    ) as ws:
        ws.receive_text()
        response = web.client.post(
            "/shares/private", headers=web.owner_headers(), data={"session_id": sid}
        )
        assert response.status_code == 200
        assert "private again; 2 links revoked" in response.text
        assert 'data-visibility="private"' in response.text
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                ws.receive_text()
        assert closed.value.code == 4403
    assert stored_visibility(web, sid) == "private"
    assert web.ctx.shares.live_links(sid) == []
    for token in tokens.values():
        assert web.client.get(f"/s/{sid}", headers=guest_headers(token)).status_code == 403
    # Another shared session keeps its link and its visibility.
    assert len(web.ctx.shares.live_links(other)) == 1
    assert stored_visibility(web, other) == "workspace"


def test_a_controller_link_cannot_make_its_session_private(web: ShareApp) -> None:
    sid = web.new_session()
    tokens = web.share(sid)
    refused = web.client.post(
        "/shares/private", headers=guest_headers(tokens["controller"]), data={"session_id": sid}
    )
    assert refused.status_code == 403
    assert stored_visibility(web, sid) == "workspace"
    assert len(web.ctx.shares.live_links(sid)) == 2


def test_a_session_made_private_outside_this_server_ends_its_links_at_the_next_guest_visit(
    web: ShareApp,
) -> None:
    """`codesm --visibility private threads share ID` (or any other writer) while the web shares
    it: the guest's next page load is refused and its link ends, and so do its sockets."""
    sid = web.new_session()
    token = web.share(sid, controller=False)["viewer"]
    headers = guest_headers(token, host=f"{LAN}:{PORT}")
    assert web.client.get(f"/s/{sid}", headers=headers).status_code == 200
    web.portal.call(lambda: web.ctx.runtime.store.sessions.update(sid, visibility="private"))
    refused = web.client.get(f"/s/{sid}", headers=headers)
    assert refused.status_code == 403 and "private" in refused.text
    assert not web.ctx.shares.live_links(sid)
    with (
        pytest.raises(WebSocketDisconnect),
        web.client.websocket_connect(f"{WS_LAN}/ws/s/{sid}", headers=guest_headers(token)) as ws,
    ):
        ws.receive_text()


def test_a_private_session_made_private_outside_does_not_refuse_the_owner(web: ShareApp) -> None:
    sid = web.new_session()
    web.share(sid, controller=False)
    web.portal.call(lambda: web.ctx.runtime.store.sessions.update(sid, visibility="private"))
    assert web.client.get(f"/s/{sid}", headers=web.owner_headers()).status_code == 200
    assert web.ctx.shares.live_links(sid)  # only a guest's visit ends them


def test_a_guest_socket_opened_after_the_session_went_private_is_refused(web: ShareApp) -> None:
    sid = web.new_session()
    token = web.share(sid, controller=False)["viewer"]
    web.portal.call(lambda: web.ctx.runtime.store.sessions.update(sid, visibility="private"))
    assert web.ctx.shares.live_links(sid)
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        web.client.websocket_connect(f"{WS_LAN}/ws/s/{sid}", headers=guest_headers(token)) as ws,
    ):
        ws.receive_text()
    assert closed.value.code == 4403
    assert not web.ctx.shares.live_links(sid)
