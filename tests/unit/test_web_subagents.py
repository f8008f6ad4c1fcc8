"""Subagents in the browser UI, in-process: live rows in the parent's tool card (progress, nested
subagents) and the steer and cancel controls, with real agents on the scripted LLM server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn
from tests.unit.subagent_support import requests_with
from tests.unit.web_support import (
    WS_BASE,
    WebApp,
    client_for,
    make_web_app,
    new_session,
    read_until,
)

FINISHED = 'status-completed"'
ROW = re.compile(r'<li class="subagent" id="sub-([0-9a-f]+)"')


def task(kind: str, prompt: str) -> dict[str, str]:
    return {"subagent_type": kind, "prompt": prompt, "description": prompt[:24]}


@pytest.fixture
def web(tmp_path: Path, scripted_llm: ScriptedLLMServer) -> WebApp:
    root = tmp_path / "project"
    root.mkdir()
    (root / "notes.txt").write_text("alpha\n")
    return make_web_app(root, tmp_path / "codesm.db", llm=scripted_llm, permission_mode="auto-edit")


@pytest.fixture
def client(web: WebApp) -> Iterator[TestClient]:
    with client_for(web) as test_client:
        yield test_client


def test_the_tool_card_shows_each_subagent_step_and_nests_a_subagents_own_subagent(
    client: TestClient, web: WebApp, scripted_llm: ScriptedLLMServer
) -> None:
    tasks = [task("researcher", "[x] look for foo"), task("coder", "[y] delegate")]
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("parallel_tasks", {"tasks": tasks})]),
        Turn(when="[x]", tool_calls=[ToolCallSpec("grep", {"pattern": "foo"})]),
        Turn(when="[x]", text="no foo"),
        Turn(when="[y]", tool_calls=[ToolCallSpec("task", task("finder", "[z] deep"))]),
        Turn(when="[z]", text="found deep"),
        Turn(when="[y]", text="delegated"),
        Turn(text="all done"),
    )
    sid = new_session(client, web)
    with client.websocket_connect(f"{WS_BASE}/ws/s/{sid}", headers=web.ws_headers) as ws:
        ws.receive_text()
        ws.send_text(web.frame(type="submit_prompt", text="split"))
        frames = read_until(ws, lambda text: FINISHED in text)
        ws.close()
    rows = ROW.findall(frames)
    assert len(set(rows)) == 3  # two children and one grandchild
    assert re.search(r'hx-swap-oob="beforeend:#tool-[\w-]+-subagents"><li class="subagent"', frames)
    assert "step 1 · running grep &#39;foo&#39;" in frames
    assert re.search(
        r'hx-swap-oob="beforeend:#sub-[0-9a-f]+-children"><li class="subagent"', frames
    )
    assert 'name="type" value="steer_subagent"' in frames
    assert 'name="type" value="cancel_subagent"' in frames
    with client.websocket_connect(f"{WS_BASE}/ws/s/{sid}", headers=web.ws_headers) as ws:
        replay = ws.receive_text()
    nested = re.search(
        r'id="sub-[0-9a-f]+-children"><li class="subagent" id="sub-([0-9a-f]+)"', replay
    )
    assert nested is not None and nested.group(1) in rows  # the reload nests it too
    assert replay.count('value="steer_subagent"') == 0  # nothing runs any more
    assert f'href="/s/{rows[0]}"' in replay


def test_a_steer_message_from_the_row_reaches_the_subagent_and_cancel_stops_only_it(
    client: TestClient, web: WebApp, scripted_llm: ScriptedLLMServer
) -> None:
    tasks = [task("researcher", "[s] slow survey"), task("researcher", "[h] hang")]
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("parallel_tasks", {"tasks": tasks})]),
        Turn(when="[s]", delay_s=1.5, tool_calls=[ToolCallSpec("glob", {"pattern": "*.txt"})]),
        Turn(when="[steered]", text="looked at the notes as told"),
        Turn(when="[h]", delay_s=30, text="never"),
        Turn(text="all done"),
    )
    sid = new_session(client, web)
    with client.websocket_connect(f"{WS_BASE}/ws/s/{sid}", headers=web.ws_headers) as ws:
        ws.receive_text()
        ws.send_text(web.frame(type="submit_prompt", text="survey"))
        frames = read_until(ws, lambda text: len(set(ROW.findall(text))) == 2)
        first, second = dict.fromkeys(ROW.findall(frames))
        slow = first if "[s] slow" in frames.split(f'id="sub-{first}"')[1][:2000] else second
        hung = second if slow == first else first
        ws.send_text(web.frame(type="steer_subagent", child_session_id=sid, text="x"))
        refused = read_until(ws, lambda text: "not a subagent of this session" in text)
        ws.send_text(
            web.frame(type="steer_subagent", child_session_id=slow, text="[steered] read notes")
        )
        ws.send_text(web.frame(type="cancel_subagent", child_session_id=hung))
        frames = read_until(ws, lambda text: FINISHED in text)
        ws.close()
    assert "not a subagent of this session" in refused
    assert requests_with(scripted_llm, "[steered] read notes")
    assert "1 completed, 0 failed, 1 cancelled" in frames
    assert "looked at the notes as told" in frames
