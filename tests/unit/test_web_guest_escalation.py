"""A controller link may chat, but the session's mode and model are the owner's (`set_mode` and
`set_model` are owner-only in roles.py): a prompt cannot carry them in past the role table."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from codesm.web.session_socket import NOT_ALLOWED
from tests.support.scripted_llm import ScriptedLLMServer, Turn
from tests.unit.share_support import LAN, PORT, ShareApp, frame, guest_headers, share_app


@pytest.fixture
def web(tmp_path: Path, scripted_llm: ScriptedLLMServer) -> Iterator[ShareApp]:
    workspace = tmp_path / "project"
    workspace.mkdir()
    env = {"ANTHROPIC_API_KEY": "sk-test-escalation", "ANTHROPIC_BASE_URL": scripted_llm.base_url}
    with share_app(workspace, tmp_path / "codesm.db", env=env) as app:
        yield app


def read_flash(ws: object) -> str:
    for _ in range(50):
        text = str(ws.receive_text())  # type: ignore[attr-defined]
        if 'id="flash"' in text:
            return text
    raise AssertionError("no flash")


@pytest.mark.parametrize(
    "smuggled",
    [{"mode": "rush"}, {"model": "claude-opus-4-1"}],
    ids=["mode", "model"],
)
def test_a_controller_prompt_cannot_switch_the_sessions_mode_or_model(
    web: ShareApp, scripted_llm: ScriptedLLMServer, smuggled: dict[str, str]
) -> None:
    scripted_llm.script(Turn(text="Hello."))
    sid = web.new_session()
    before = web.portal.call(web.ctx.runtime.store.sessions.get, sid)
    headers = guest_headers(web.share(sid)["controller"])
    with web.client.websocket_connect(f"ws://{LAN}:{PORT}/ws/s/{sid}", headers=headers) as ws:
        ws.receive_text()
        ws.send_text(frame(headers["x-csrf-token"], type="submit_prompt", text="hi", **smuggled))
        assert NOT_ALLOWED in read_flash(ws)
    after = web.portal.call(web.ctx.runtime.store.sessions.get, sid)
    assert before is not None and after is not None
    assert (after.mode, after.model) == (before.mode, before.model)
    assert scripted_llm.completion_requests() == []


def test_a_controller_prompt_without_mode_or_model_still_reaches_the_agent(
    web: ShareApp, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(Turn(text="Hello from the model."))
    sid = web.new_session()
    headers = guest_headers(web.share(sid)["controller"])
    with web.client.websocket_connect(f"ws://{LAN}:{PORT}/ws/s/{sid}", headers=headers) as ws:
        ws.receive_text()
        ws.send_text(frame(headers["x-csrf-token"], type="submit_prompt", text="hi"))
        seen = ""
        for _ in range(200):
            seen += str(ws.receive_text())
            if "Hello from the model." in seen:
                break
    assert "Hello from the model." in seen and NOT_ALLOWED not in seen
