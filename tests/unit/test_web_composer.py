"""The composer's `/` commands (read on the server before a text becomes a prompt), its `@file`
and command completions, and the connect-a-provider dialog."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from codesm import doctor
from codesm.agent.ops import Compact, SetMode, SetModel, ShowContext, SubmitPrompt, UndoChange
from codesm.doctor import LocalServer, detect_local_servers
from codesm.web.commands import CommandReply, read_command
from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn
from tests.unit.web_support import (
    WebApp,
    make_web_app,
    new_session,
    session_socket,
    submit_prompt,
)


def read(text: str, mode: str = "smart") -> CommandReply | SubmitPrompt | None:
    return read_command(SubmitPrompt(text=text), mode)


def test_a_slash_word_is_a_command_and_anything_else_is_a_prompt() -> None:
    compact = read("/compact keep the API notes")
    assert isinstance(compact, CommandReply) and compact.op == Compact(
        instructions="keep the API notes"
    )
    assert read("/usr/bin/env is missing") == SubmitPrompt(text="/usr/bin/env is missing")
    assert read("//help me") == SubmitPrompt(text="/help me")
    assert read("   ") is None
    unknown = read("/frobnicate")
    assert isinstance(unknown, CommandReply) and unknown.kind == "error" and unknown.op is None


@pytest.mark.parametrize(
    ("text", "op"),
    [
        ("/context", ShowContext()),
        ("/mode", SetMode(mode="rush")),
        ("/mode smart", SetMode(mode="smart")),
        ("/rush", SetMode(mode="rush")),
        ("/model gpt-5.5", SetModel(model="gpt-5.5")),
        ("/undo", UndoChange()),
    ],
)
def test_each_command_becomes_its_op(text: str, op: object) -> None:
    reply = read(text)
    assert isinstance(reply, CommandReply) and reply.op == op


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "src").mkdir(parents=True)
    (root / "src" / "parser.py").write_text("x = 1\n")
    (root / "notes.txt").write_text("alpha\nbeta\n")
    (tmp_path / "secret-parser.txt").write_text("outside\n")
    return root


@pytest.fixture
def web(workspace: Path, tmp_path: Path, scripted_llm: ScriptedLLMServer) -> WebApp:
    return make_web_app(
        workspace, tmp_path / "codesm.db", llm=scripted_llm, permission_mode="auto-edit"
    )


def test_mentions_complete_workspace_files_as_an_html_listbox(
    client: TestClient, web: WebApp
) -> None:
    html = client.get("/complete", params={"q": "@parser"}, headers=web.cookie).text
    assert 'role="listbox"' in html and 'data-value="@src/parser.py"' in html
    assert "secret" not in html
    assert "option" not in client.get("/complete", params={"q": "@../"}, headers=web.cookie).text


def test_commands_complete_from_their_prefix(client: TestClient, web: WebApp) -> None:
    html = client.get("/complete", params={"q": "/co"}, headers=web.cookie).text
    assert [v for v in ("/compact", "/context", "/cost", "/connect") if f'"{v}"' in html] == [
        "/compact",
        "/context",
        "/cost",
        "/connect",
    ]
    assert "/undo" not in html


def test_completions_and_the_connect_dialog_need_the_owner(client: TestClient) -> None:
    assert client.get("/complete", params={"q": "/"}).status_code in (401, 403)
    assert client.get("/connect").status_code in (401, 403)


def test_local_servers_are_found_on_their_default_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_get(url: str, timeout: float) -> httpx.Response:
        request = httpx.Request("GET", url)
        if url == "http://127.0.0.1:11434/api/tags":
            return httpx.Response(200, json={"models": [{"name": "llama3"}]}, request=request)
        if url == "http://127.0.0.1:1234/v1/models":
            return httpx.Response(200, json={"data": [{"id": "qwen"}]}, request=request)
        raise httpx.ConnectError("refused", request=request)

    monkeypatch.setattr(doctor.httpx, "get", fake_get)
    assert detect_local_servers() == [
        LocalServer("ollama", "http://127.0.0.1:11434", ["llama3"]),
        LocalServer("openai-compatible", "http://127.0.0.1:1234", ["qwen"]),
    ]


def test_help_cost_and_new_answer_in_the_page_without_a_turn(
    client: TestClient, web: WebApp
) -> None:
    sid = new_session(client, web)
    with session_socket(client, web, sid) as ws:
        ws.receive_text()
        helped = submit_prompt(ws, web, "/help", lambda text: "command-reply" in text)
        cost = submit_prompt(ws, web, "/cost", lambda text: "command-reply" in text)
        new = submit_prompt(ws, web, "/new", lambda text: "data-navigate" in text)
    assert "<code>/compact</code>" in helped and "<code>/undo</code>" in helped
    assert 'href="/costs"' in cost
    assert "turn-" not in helped + cost
    assert f'href="/s/{sid}"' not in new and 'href="/s/' in new


def test_status_and_session_describe_the_session_and_session_id_opens_another(
    client: TestClient, web: WebApp
) -> None:
    other = new_session(client, web)
    sid = new_session(client, web)
    replied = lambda text: "command-reply" in text  # noqa: E731
    with session_socket(client, web, sid) as ws:
        ws.receive_text()
        status = submit_prompt(ws, web, "/status", replied)
        about = submit_prompt(ws, web, "/session", replied)
        opened = submit_prompt(ws, web, f"/session {other[:10]}", lambda t: "data-navigate" in t)
        missing = submit_prompt(ws, web, "/session zzzz", replied)
    assert "smart" in status and "context" in status and "$0.0000" in status and "idle" in status
    assert f"id {sid}" in about and "private" in about
    assert f'href="/s/{other}"' in opened
    assert "No session of this project starts with zzzz." in missing
    assert "turn-" not in status + about + missing  # commands, never prompts to the model


def test_context_shows_the_breakdown_and_undo_reverts_an_edit_listed_in_changes(
    client: TestClient, web: WebApp, scripted_llm: ScriptedLLMServer, workspace: Path
) -> None:
    edit = {"path": "notes.txt", "old_string": "beta", "new_string": "gamma"}
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("read", {"path": "notes.txt"}, id="call_read")]),
        Turn(tool_calls=[ToolCallSpec("edit", edit, id="call_edit")]),
        Turn(text="Done."),
    )
    sid = new_session(client, web)
    with session_socket(client, web, sid) as ws:
        ws.receive_text()
        frames = submit_prompt(ws, web, "change beta")
        assert 'id="changes-list"' in frames and 'value="undo_change"' in frames
        assert (workspace / "notes.txt").read_text() == "alpha\ngamma\n"
        undone = submit_prompt(ws, web, "/undo", lambda text: 'value="redo_change"' in text)
        assert (workspace / "notes.txt").read_text() == "alpha\nbeta\n"
        context = submit_prompt(ws, web, "/context", lambda text: "Context of" in text)
    assert "badge-undone" in undone
    assert "the Context panel shows what" in context
    assert 'id="context-panel"' in context and "Tool outputs" in context
