"""Subagents in the browser UI, in-process: live rows in the parent's tool card (progress, nested
subagents) and the steer and cancel controls, with real agents on the scripted LLM server."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn
from tests.unit.subagent_support import requests_with
from tests.unit.web_support import (
    TURN_COMPLETED,
    WebApp,
    make_web_app,
    new_session,
    read_until,
    run_turn,
    session_socket,
    submit_prompt,
)

ROW = re.compile(r'<li class="subagent" id="sub-([0-9a-f]+)"')


def task(kind: str, prompt: str) -> dict[str, str]:
    return {"subagent_type": kind, "prompt": prompt, "description": prompt[:24]}


def wait_for_request(server: ScriptedLLMServer, marker: str) -> None:
    for _ in range(400):
        if requests_with(server, marker):
            return
        time.sleep(0.025)
    raise AssertionError(f"no model request with {marker}")


@pytest.fixture
def web(tmp_path: Path, scripted_llm: ScriptedLLMServer) -> WebApp:
    root = tmp_path / "project"
    root.mkdir()
    (root / "notes.txt").write_text("alpha\n")
    return make_web_app(root, tmp_path / "codesm.db", llm=scripted_llm, permission_mode="auto-edit")


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
    frames = run_turn(client, web, sid, "split")
    rows = ROW.findall(frames)
    assert len(set(rows)) == 3  # two children and one grandchild
    assert re.search(r'hx-swap-oob="beforeend:#tool-[\w-]+-subagents"><li class="subagent"', frames)
    assert "step 1 · running grep &#39;foo&#39;" in frames
    assert re.search(
        r'hx-swap-oob="beforeend:#sub-[0-9a-f]+-children"><li class="subagent"', frames
    )
    assert 'name="type" value="steer_subagent"' in frames
    assert 'name="type" value="cancel_subagent"' in frames
    with session_socket(client, web, sid) as ws:
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
    with session_socket(client, web, sid) as ws:
        ws.receive_text()
        frames = submit_prompt(ws, web, "survey", lambda text: len(set(ROW.findall(text))) == 2)
        first, second = dict.fromkeys(ROW.findall(frames))
        slow = first if "[s] slow" in frames.split(f'id="sub-{first}"')[1][:2000] else second
        hung = second if slow == first else first
        ws.send_text(web.frame(type="steer_subagent", child_session_id=sid, text="x"))
        refused = read_until(ws, lambda text: "not a subagent of this session" in text)
        ws.send_text(
            web.frame(type="steer_subagent", child_session_id=slow, text="[steered] read notes")
        )
        ws.send_text(web.frame(type="cancel_subagent", child_session_id=hung))
        frames = read_until(ws, lambda text: TURN_COMPLETED in text)
        ws.close()
    assert "not a subagent of this session" in refused
    assert requests_with(scripted_llm, "[steered] read notes")
    assert "1 completed, 0 failed, 1 cancelled" in frames
    assert "looked at the notes as told" in frames


def test_a_prompt_sent_on_a_running_subagents_own_page_steers_it(
    client: TestClient, web: WebApp, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("task", task("researcher", "[c] slow survey"))]),
        Turn(when="[c]", delay_s=1.5, tool_calls=[ToolCallSpec("glob", {"pattern": "*.txt"})]),
        Turn(when="[from-page]", text="surveyed as the page asked"),
        Turn(text="all done"),
    )
    sid = new_session(client, web)
    with session_socket(client, web, sid) as ws:
        ws.receive_text()
        (child,) = ROW.findall(
            submit_prompt(ws, web, "survey", lambda text: bool(ROW.search(text)))
        )
        wait_for_request(scripted_llm, "[c] slow survey")  # its first step is under way
        with session_socket(client, web, child) as page:
            page.receive_text()
            steered = submit_prompt(
                page,
                web,
                "[from-page] check notes too",
                lambda text: "Steered: [from-page]" in text,
            )
        frames = read_until(ws, lambda text: TURN_COMPLETED in text)
        ws.close()
    (second_step,) = requests_with(scripted_llm, "[from-page] check notes too")
    assert "tool_result" in str(second_step)  # the same run, its next step
    assert "Steered: [from-page] check notes too" in steered
    assert "surveyed as the page asked" in frames
