"""A provider connected in one tab reaches every other owner tab at once: their model pickers offer
the new models and the "connect a provider" notice goes (and comes back when the last provider is
removed), without a reload. Guests get nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from codesm.doctor import LocalServer
from codesm.web.routes import connect
from tests.unit.share_support import LAN, PORT, frame, guest_headers, share_app
from tests.unit.web_support import (
    BASE,
    WS_BASE,
    WebApp,
    client_for,
    make_web_app,
    new_session,
    read_until,
)

OPENROUTER_KEY = "sk-or-v1-0123456789abcdef0123456789abcdef"
NEW_MODEL = '<option value="anthropic/claude-sonnet-5.5" selected>'
NOTICE_GONE = '<div id="provider-notice-slot" hx-swap-oob="innerHTML"></div>'


@pytest.fixture(autouse=True)
def no_local_servers(monkeypatch: pytest.MonkeyPatch) -> list[LocalServer]:
    found: list[LocalServer] = []
    monkeypatch.setattr(connect, "detect_local_servers", lambda timeout: found)
    return found


@pytest.fixture
def web(tmp_path: Path) -> WebApp:
    workspace = tmp_path / "project"
    workspace.mkdir()
    return make_web_app(workspace, tmp_path / "codesm.db")  # no provider configured


@pytest.fixture
def client(web: WebApp) -> Iterator[TestClient]:
    with client_for(web) as test_client:
        yield test_client


def test_a_key_stored_in_one_tab_updates_the_model_picker_of_every_other_owner_tab(
    client: TestClient, web: WebApp
) -> None:
    typed_in, other = new_session(client, web), new_session(client, web)
    with (
        client.websocket_connect(f"{WS_BASE}/ws/s/{typed_in}", headers=web.ws_headers) as first,
        client.websocket_connect(f"{WS_BASE}/ws/s/{other}", headers=web.ws_headers) as second,
    ):
        replay = second.receive_text()
        first.receive_text()
        assert 'id="status-model"' in replay and "<select" not in replay.split("status-model")[1]
        response = client.post(
            "/connect",
            headers=web.write_headers(
                **{"hx-request": "true", "hx-current-url": f"{BASE}/s/{typed_in}"}
            ),
            data={"provider": "openrouter", "key": OPENROUTER_KEY},
        )
        assert response.status_code == 200 and NEW_MODEL in response.text
        pushed = read_until(second, lambda text: NEW_MODEL in text)
        assert NOTICE_GONE in pushed and 'id="status-model"' in pushed
        assert OPENROUTER_KEY not in pushed
        # The tab the key was typed in is brought up to date over its socket too.
        read_until(first, lambda text: NEW_MODEL in text)
        # Removing the last provider brings the notice back in the other tab, no reload.
        client.post(
            "/connect/remove",
            headers=web.write_headers(**{"hx-request": "true"}),
            data={"provider": "openrouter"},
        )
        back = read_until(second, lambda text: 'id="provider-notice"' in text)
        assert (
            '<div id="provider-notice-slot" hx-swap-oob="innerHTML"><div class="provider-notice"'
            in back
        )
        assert NEW_MODEL not in back


def test_a_guest_socket_is_not_sent_the_owner_model_picker(tmp_path: Path) -> None:
    workspace = tmp_path / "project"
    workspace.mkdir()
    with share_app(workspace, tmp_path / "codesm.db") as app:
        sid = app.new_session()
        token = app.share(sid, controller=False)["viewer"]
        headers = guest_headers(token)
        with app.client.websocket_connect(f"ws://{LAN}:{PORT}/ws/s/{sid}", headers=headers) as ws:
            ws.receive_text()
            response = app.client.post(
                "/connect",
                headers=app.owner_headers(**{"hx-request": "true"}),
                data={"provider": "openrouter", "key": OPENROUTER_KEY},
            )
            assert response.status_code == 200
            # The guest's next frame is the answer to its own message, with no picker before it.
            ws.send_text(frame(headers["x-csrf-token"], type="guest_name", name="Ada"))
            frames = read_until(ws, lambda text: 'id="guest-name"' in text)
    assert 'id="status-model"' not in frames and "provider-notice" not in frames
