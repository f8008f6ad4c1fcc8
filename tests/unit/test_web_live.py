"""The session WebSocket end to end in-process: replay, live fragments, and ops to the agent,
with the real agent talking to the scripted LLM server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from starlette.testclient import TestClient, WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from codesm.web.session_socket import op_fields
from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn
from tests.unit.web_support import (
    TURN_COMPLETED,
    WebApp,
    client_for,
    make_web_app,
    new_session,
    read_until,
    run_turn,
    session_socket,
    submit_prompt,
)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "notes.txt").write_text("alpha\nbeta\n")
    return root


@pytest.fixture
def web(workspace: Path, tmp_path: Path, scripted_llm: ScriptedLLMServer) -> WebApp:
    return make_web_app(workspace, tmp_path / "codesm.db", llm=scripted_llm)


def test_a_prompt_streams_deltas_then_the_rendered_answer(
    client: TestClient, web: WebApp, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(Turn(text="Hello **world**, this streams.", delta_size=4))
    sid = new_session(client, web)
    with session_socket(client, web, sid) as ws:
        replay = ws.receive_text()
        assert "connection-state" in replay and 'id="transcript"' in replay
        frames = submit_prompt(ws, web, "say hi <b>")
    assert 'hx-swap-oob="beforeend:#turn-' in frames
    assert "say hi &lt;b&gt;" in frames and "say hi <b>" not in frames
    assert "<strong>world</strong>" in frames
    assert 'id="run-state"' in frames


def test_a_tool_call_gets_one_card_that_finishes(
    client: TestClient, web: WebApp, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("ls", {"path": "."}, id="call_ls_1")]),
        Turn(text="Listed."),
    )
    frames = run_turn(client, web, new_session(client, web), "list files")
    assert frames.count('id="tool-call_ls_1"') >= 2  # appended, then replaced when finished
    assert "tool-done" in frames and "notes.txt" in frames


def edit_script(comment_check: bool = False) -> list[Turn]:
    return [
        Turn(tool_calls=[ToolCallSpec("read", {"path": "notes.txt"}, id="call_read")]),
        Turn(
            tool_calls=[
                ToolCallSpec(
                    "edit",
                    {"path": "notes.txt", "old_string": "beta", "new_string": "gamma"},
                    id="call_edit",
                )
            ]
        ),
        Turn(text="Done editing."),
    ]


@pytest.fixture
def review_web(workspace: Path, tmp_path: Path, scripted_llm: ScriptedLLMServer) -> WebApp:
    return make_web_app(
        workspace, tmp_path / "codesm.db", llm=scripted_llm, permission_mode="review"
    )


@contextmanager
def waiting_for_review(
    web: WebApp, prompt: str, button: str = "Accept change"
) -> Iterator[tuple[WebSocketTestSession, str]]:
    """The owner's socket on a new session once `prompt` made the agent propose a change that
    waits for review (its card shows `button`), and the frames that showed it."""
    with client_for(web) as client:
        sid = new_session(client, web)
        with session_socket(client, web, sid) as ws:
            ws.receive_text()
            yield ws, submit_prompt(ws, web, prompt, lambda text: button in text)


def test_in_review_mode_an_edit_shows_its_diff_and_approve_writes_it(
    review_web: WebApp, scripted_llm: ScriptedLLMServer, workspace: Path
) -> None:
    scripted_llm.script(*edit_script())
    with waiting_for_review(review_web, "change beta") as (ws, frames):
        assert 'class="drow drow-del"' in frames and 'class="drow drow-add"' in frames
        assert (workspace / "notes.txt").read_text() == "alpha\nbeta\n"
        ws.send_text(review_web.frame(type="approve", call_id="call_edit"))
        frames = read_until(ws, lambda text: TURN_COMPLETED in text)
    assert "badge-applied" in frames
    assert (workspace / "notes.txt").read_text() == "alpha\ngamma\n"


def test_denying_an_edit_with_a_comment_leaves_the_file_and_tells_the_model(
    review_web: WebApp, scripted_llm: ScriptedLLMServer, workspace: Path
) -> None:
    scripted_llm.script(*edit_script())
    with waiting_for_review(review_web, "change beta") as (ws, _):
        ws.send_text(review_web.frame(type="deny", call_id="call_edit", comment="keep beta please"))
        frames = read_until(ws, lambda text: TURN_COMPLETED in text)
    assert "badge-rejected" in frames and "keep beta please" in frames
    assert (workspace / "notes.txt").read_text() == "alpha\nbeta\n"
    last_request = json.dumps(scripted_llm.completion_requests()[2].body)
    assert "keep beta please" in last_request


def test_a_reconnecting_page_gets_the_transcript_replayed_in_one_frame(
    client: TestClient, web: WebApp, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(Turn(text="Remember *this*."))
    sid = new_session(client, web)
    run_turn(client, web, sid, "first")
    with session_socket(client, web, sid) as ws:
        replay = ws.receive_text()
    assert "<em>this</em>" in replay and ">first<" in replay and TURN_COMPLETED in replay
    page = client.get(f"/s/{sid}", headers=web.cookie).text
    assert "<em>this</em>" in page


def test_switching_the_mode_updates_the_status_bar(client: TestClient, web: WebApp) -> None:
    sid = new_session(client, web)
    with session_socket(client, web, sid) as ws:
        ws.receive_text()
        ws.send_text(web.frame(type="set_mode", mode="rush"))
        frames = read_until(ws, lambda text: "mode-rush" in text)
        ws.send_text(web.frame(type="set_permission_mode", permission_mode="dry-run"))
        frames = read_until(ws, lambda text: 'value="dry-run" selected' in text)
    assert 'id="status-permission"' in frames


def test_a_frame_without_the_csrf_token_closes_the_socket(client: TestClient, web: WebApp) -> None:
    sid = new_session(client, web)
    with session_socket(client, web, sid) as ws:
        ws.receive_text()
        ws.send_text(json.dumps({"type": "submit_prompt", "text": "hi", "csrf_token": "forged"}))
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
    assert closed.value.code == 1008


def test_an_unknown_action_is_answered_with_a_message_not_a_crash(
    client: TestClient, web: WebApp
) -> None:
    sid = new_session(client, web)
    with session_socket(client, web, sid) as ws:
        ws.receive_text()
        ws.send_text(web.frame(type="<script>alert(1)</script>"))
        reply = ws.receive_text()
        ws.send_text(web.frame(type="approve"))
        second = ws.receive_text()
    assert "not supported" in reply and "<script>" not in reply
    assert "not understood" in second


def test_a_socket_for_an_unknown_session_says_so_and_closes(
    client: TestClient, web: WebApp
) -> None:
    with session_socket(client, web, "nope") as ws:
        assert "session not found" in ws.receive_text()
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
    assert closed.value.code == 4404


def test_without_a_provider_a_prompt_explains_how_to_connect_one(
    workspace: Path, tmp_path: Path
) -> None:
    web = make_web_app(workspace, tmp_path / "codesm.db")
    with client_for(web) as client:
        page = client.get("/", headers=web.cookie)
        assert page.status_code == 200 and "Connect a model provider" in page.text
        sid = new_session(client, web, prompt="hello?")
        with session_socket(client, web, sid) as ws:
            ws.receive_text()
            ws.send_text(web.frame(type="submit_prompt", text="hello?"))
            reply = ws.receive_text()
    assert "ANTHROPIC_API_KEY" in reply and "OLLAMA_HOST" in reply


def test_form_fields_become_op_fields() -> None:
    frame = {"type": "deny", "call_id": "c1", "comment": "", "csrf_token": "t", "HEADERS": {}}
    assert op_fields(frame) == {"type": "deny", "call_id": "c1"}
    assert op_fields({"type": "approve", "call_id": "c", "hunks": "0, 2"}) == {
        "type": "approve",
        "call_id": "c",
        "hunks": [0, 2],
    }
    assert op_fields({"type": "drop_tables"}) is None


def test_accepting_only_the_checked_hunk_writes_just_that_hunk(
    review_web: WebApp, scripted_llm: ScriptedLLMServer, workspace: Path
) -> None:
    lines = [f"line {n}" for n in range(1, 31)]
    (workspace / "long.txt").write_text("\n".join(lines) + "\n")
    changed = ["FIRST", *lines[1:-1], "LAST"]
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("read", {"path": "long.txt"}, id="call_read")]),
        Turn(
            tool_calls=[
                ToolCallSpec(
                    "write", {"path": "long.txt", "content": "\n".join(changed) + "\n"}, id="w1"
                )
            ]
        ),
        Turn(text="Partly done."),
    )
    partial = "Accept checked hunks only"  # the button a change of several hunks offers
    with waiting_for_review(review_web, "edit both ends", partial) as (ws, frames):
        assert 'name="hunks" value="1"' in frames
        ws.send_text(review_web.frame(type="approve", call_id="w1", partial="1", hunks="0"))
        read_until(ws, lambda text: TURN_COMPLETED in text)
    text = (workspace / "long.txt").read_text()
    assert text.startswith("FIRST\n") and text.endswith("line 30\n")
