"""Building the web app for tests: a temp database, an optional scripted LLM, owner headers; and
the owner's page on a session's WebSocket: open it, send a prompt, read frames until a condition."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.testclient import TestClient, WebSocketTestSession

from codesm.agent.permissions.engine import Mode
from codesm.agent.runtime import Runtime
from codesm.web.app import create_app
from codesm.web.auth import OwnerAuth, new_owner_token
from codesm.web.config import WebConfig
from tests.support.scripted_llm import ScriptedLLMServer

PORT = 8770
BASE = f"http://127.0.0.1:{PORT}"
WS_BASE = f"ws://127.0.0.1:{PORT}"
TURN_COMPLETED = 'status-completed"'


@dataclass
class WebApp:
    app: Starlette
    auth: OwnerAuth
    workspace: Path

    @property
    def cookie(self) -> dict[str, str]:
        return {"cookie": f"{self.auth.cookie_name}={self.auth.cookie_value}"}

    def write_headers(self, **extra: str) -> dict[str, str]:
        return {**self.cookie, "x-csrf-token": self.auth.csrf_token, "origin": BASE, **extra}

    @property
    def ws_headers(self) -> dict[str, str]:
        return {**self.cookie, "origin": BASE}

    def frame(self, **fields: Any) -> str:
        """A ws-send frame as htmx's ws extension sends it: form fields plus HEADERS."""
        return json.dumps(
            {**fields, "csrf_token": self.auth.csrf_token, "HEADERS": {"HX-Request": "true"}}
        )


def make_web_app(
    workspace: Path,
    db_path: Path,
    *,
    llm: ScriptedLLMServer | None = None,
    permission_mode: Mode | None = None,
) -> WebApp:
    token = new_owner_token()
    env = {"ANTHROPIC_API_KEY": "sk-ant-test", "ANTHROPIC_BASE_URL": llm.base_url} if llm else {}

    async def open_runtime(config: WebConfig) -> Runtime:
        return await Runtime.open(
            config.workspace,
            interactive=True,
            db_path=config.db_path,
            env=env,
            permission_mode=permission_mode,
        )

    config = WebConfig(workspace=workspace, port=PORT, owner_token=token, db_path=db_path)
    app = create_app(config, open_runtime=open_runtime)
    return WebApp(app, OwnerAuth.from_token(token, port=PORT), workspace)


@contextmanager
def client_for(web: WebApp) -> Iterator[TestClient]:
    with TestClient(web.app, base_url=BASE, follow_redirects=False) as client:
        yield client


def new_session(client: TestClient, web: WebApp, prompt: str = "") -> str:
    response = client.post(
        "/sessions", headers=web.write_headers(**{"hx-request": "true"}), data={"prompt": prompt}
    )
    assert response.status_code == 204, response.text
    return response.headers["hx-redirect"].removeprefix("/s/")


def read_until(ws: Any, done: Callable[[str], bool], *, max_frames: int = 500) -> str:
    """Frames joined until `done(all_so_far)`; fails after `max_frames` frames."""
    seen: list[str] = []
    for _ in range(max_frames):
        seen.append(ws.receive_text())
        if done("".join(seen)):
            return "".join(seen)
    raise AssertionError(f"condition never met in {max_frames} frames: {''.join(seen)[-2000:]}")


def session_socket(
    client: TestClient, web: WebApp, sid: str, headers: dict[str, str] | None = None
) -> WebSocketTestSession:
    """The session's WebSocket as the owner's page opens it (owner cookie, same origin), unless
    `headers` says otherwise. Its first frame is the replay of the session."""
    return client.websocket_connect(f"{WS_BASE}/ws/s/{sid}", headers=headers or web.ws_headers)


def submit_prompt(
    ws: WebSocketTestSession,
    web: WebApp,
    text: str,
    done: Callable[[str], bool] = lambda frames: TURN_COMPLETED in frames,
) -> str:
    """Send `text` as the composer does; the frames until `done` (by default: the turn is done)."""
    ws.send_text(web.frame(type="submit_prompt", text=text))
    return read_until(ws, done)


def run_turn(client: TestClient, web: WebApp, sid: str, text: str) -> str:
    """Open the session's socket, send `text`, and return the frames up to the completed turn."""
    with session_socket(client, web, sid) as ws:
        ws.receive_text()  # the replay
        return submit_prompt(ws, web, text)
