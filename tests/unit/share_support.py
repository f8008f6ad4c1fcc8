"""A web app that can share on a stand-in LAN address: 127.0.0.2 (loopback; tests never touch a
real network). The binder only records the call; TestClient needs no socket."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from anyio.from_thread import BlockingPortal
from starlette.testclient import TestClient, WebSocketTestSession

from codesm.agent.runtime import Runtime
from codesm.web.app import create_app
from codesm.web.auth import OwnerAuth, new_owner_token
from codesm.web.config import WebConfig
from codesm.web.context import WebContext
from codesm.web.sharing import guest_csrf_token

PORT = 8771
LAN = "127.0.0.2"
OWNER_BASE = f"http://127.0.0.1:{PORT}"
LAN_BASE = f"http://{LAN}:{PORT}"
TURN_COMPLETED = 'status-completed"'


@dataclass
class ShareApp:
    client: TestClient
    auth: OwnerAuth
    workspace: Path
    bound: list[str] = field(default_factory=list)

    @property
    def ctx(self) -> WebContext:
        web = self.client.app_state["web"]
        assert isinstance(web, WebContext)
        return web

    @property
    def portal(self) -> BlockingPortal:
        """Runs a coroutine function on the app's event loop (where its store lives)."""
        portal = self.client.portal
        assert portal is not None
        return portal

    def owner_headers(self, **extra: str) -> dict[str, str]:
        return {
            "cookie": f"{self.auth.cookie_name}={self.auth.cookie_value}",
            "x-csrf-token": self.auth.csrf_token,
            "origin": OWNER_BASE,
            **extra,
        }

    def owner_socket(self, session_id: str) -> WebSocketTestSession:
        """The session's WebSocket as the owner's tab opens it: owner cookie, loopback origin."""
        headers = {"cookie": self.owner_headers()["cookie"], "origin": OWNER_BASE}
        return self.client.websocket_connect(
            f"ws://127.0.0.1:{PORT}/ws/s/{session_id}", headers=headers
        )

    def guest_socket(self, session_id: str, headers: dict[str, str]) -> WebSocketTestSession:
        """The session's WebSocket as a guest's browser opens it on the LAN address."""
        return self.client.websocket_connect(
            f"ws://{LAN}:{PORT}/ws/s/{session_id}", headers=headers
        )

    def new_session(self) -> str:
        response = self.client.post(
            "/sessions", headers=self.owner_headers(**{"hx-request": "true"}), data={}
        )
        return response.headers["hx-redirect"].removeprefix("/s/")

    def share(self, session_id: str, *, controller: bool = True) -> dict[str, str]:
        """Press Share as the owner; the links' tokens by role ("viewer", "controller")."""
        data = {"session_id": session_id, **({"controller": "on"} if controller else {})}
        response = self.client.post("/shares", headers=self.owner_headers(), data=data)
        assert response.status_code == 200, response.text
        urls = re.findall(r'value="(http://[^"]+)"', response.text)
        tokens = {}
        for url, role in zip(urls, ("viewer", "controller"), strict=False):
            assert url.startswith(f"{LAN_BASE}/s/{session_id}?share=")
            tokens[role] = parse_qs(urlsplit(url.replace("&amp;", "&")).query)["share"][0]
        return tokens


def guest_cookie(token: str) -> str:
    return f"codesm_share_{PORT}={token}"


def guest_headers(token: str, **extra: str) -> dict[str, str]:
    """What a guest's browser sends on the LAN address."""
    return {
        "host": f"{LAN}:{PORT}",
        "cookie": guest_cookie(token),
        "origin": LAN_BASE,
        "x-csrf-token": guest_csrf_token(token),
        **extra,
    }


def read_turn(
    ws: WebSocketTestSession,
    finished: Callable[[str], bool] = lambda frames: TURN_COMPLETED in frames,
) -> str:
    """Frames joined until `finished` holds for all read so far (by default: the turn completed)."""
    seen: list[str] = []
    while not finished("".join(seen)):
        seen.append(ws.receive_text())
    return "".join(seen)


def prompt_watched_by_guest(
    web: ShareApp,
    session_id: str,
    guest: dict[str, str],
    text: str,
    finished: Callable[[str], bool] = lambda frames: TURN_COMPLETED in frames,
) -> tuple[str, str]:
    """The owner sends `text` while a guest (`guest`: its headers) watches the session on the LAN
    address; returns (the guest's frames, the owner's frames), each read until `finished`."""
    with web.guest_socket(session_id, guest) as watcher, web.owner_socket(session_id) as owner:
        watcher.receive_text()  # the replays
        owner.receive_text()
        owner.send_text(frame(web.auth.csrf_token, type="submit_prompt", text=text))
        return read_turn(watcher, finished), read_turn(owner, finished)


def frame(csrf: str, **fields: Any) -> str:
    import json

    return json.dumps({**fields, "csrf_token": csrf, "HEADERS": {"HX-Request": "true"}})


@contextmanager
def share_app(
    workspace: Path, db_path: Path | None, *, env: Mapping[str, str] | None = None
) -> Iterator[ShareApp]:
    token = new_owner_token()
    bound: list[str] = []

    async def open_runtime(config: WebConfig) -> Runtime:
        return await Runtime.open(
            config.workspace, interactive=True, db_path=config.db_path, env=dict(env or {})
        )

    async def binder(host: str) -> None:
        bound.append(host)

    config = WebConfig(
        workspace=workspace, port=PORT, owner_token=token, db_path=db_path, share_host=LAN
    )
    app = create_app(config, open_runtime=open_runtime, lan_binder=binder)
    with TestClient(app, base_url=OWNER_BASE, follow_redirects=False) as client:
        yield ShareApp(client, OwnerAuth.from_token(token, port=PORT), workspace, bound)
