"""Snapshots of the TUI's main screens: each is saved as an SVG screenshot (Textual's own
format, for a person to look at) and compared as plain text with a checked-in snapshot, since
exact SVG bytes change with colours, fonts and Textual versions.

Regenerate after an intended change: CODESM_UPDATE_SNAPSHOTS=1 pytest tests/unit/test_tui_screens.py
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from textual.pilot import Pilot

from codesm.agent.runtime import Runtime
from codesm.tui.app import CodesmApp
from codesm.tui.approval import CommandApprovalScreen, EditApprovalScreen
from codesm.tui.chat import AssistantView
from codesm.tui.launch import TuiOptions, _choose_session
from codesm.tui.tools import ToolCallView
from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn, UsageSpec
from tests.unit.tui_support import SIZE, open_runtime, screen_text, wait_for

SNAPSHOTS = Path(__file__).parent / "snapshots" / "tui"
OLD = "".join(f"value_{n} = {n}\n" for n in range(1, 21))
NEW = OLD.replace("value_2 = 2\n", "value_2 = 'two'\n").replace("value_19 = 19", "value_19 = 0")
TODOS = [
    {"id": "1", "content": "Read the code", "status": "completed"},
    {"id": "2", "content": "Write the fix", "status": "in_progress"},
    {"id": "3", "content": "Run the tests", "status": "pending"},
]


def normalise(text: str, tmp_path: Path) -> str:
    text = text.replace(str(tmp_path), "<tmp>")
    text = re.sub(r"\d+\.\d+ ?s\b", "N.Ns", text)
    return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d", "YYYY-MM-DD hh:mm", text)


def assert_snapshot(app: CodesmApp, name: str, tmp_path: Path) -> None:
    svg = Path(app.save_screenshot(path=str(tmp_path), filename=f"{name}.svg"))
    assert svg.read_text().startswith("<svg")
    actual = normalise(screen_text(app), tmp_path)
    expected = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("CODESM_UPDATE_SNAPSHOTS"):
        expected.parent.mkdir(parents=True, exist_ok=True)
        expected.write_text(actual + "\n")
    assert expected.exists(), f"no snapshot {expected}; run with CODESM_UPDATE_SNAPSHOTS=1"
    assert actual == expected.read_text().rstrip("\n")


async def settle(pilot: Pilot[int]) -> None:
    await pilot.pause(0.3)
    pilot.app.clear_notifications()
    await pilot.pause()


async def test_the_welcome_screen_without_a_provider_says_how_to_connect_one(
    tmp_path: Path,
) -> None:
    async with open_runtime(tmp_path, None) as runtime:
        app = CodesmApp(runtime)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert "No model provider is configured" in screen_text(app)
            assert_snapshot(app, "welcome_no_provider", tmp_path)
            app.prompt.input.value = "hello?"
            await pilot.press("enter")
            await pilot.pause()
            assert app.session is None  # nothing was sent, no empty session was made
            assert await runtime.store.sessions.list_recent() == []


async def test_the_chat_screen_after_a_tool_call_with_todos(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(
            text="Let me look.",
            tool_calls=[
                ToolCallSpec("bash", {"command": "echo checked"}),
                ToolCallSpec("todo_write", {"todos": TODOS}),
            ],
            usage=UsageSpec(1200, 30),
        ),
        Turn(text="All **good**:\n\n1. checked\n2. planned\n", usage=UsageSpec(1300, 20)),
        Turn(text="Checking things"),
    )
    async with open_runtime(tmp_path, scripted_llm, permission_mode="allow-all") as runtime:
        app = CodesmApp(runtime)
        async with app.run_test(size=SIZE) as pilot:
            app.prompt.input.value = "check things"
            await pilot.press("enter")
            await wait_for(pilot, lambda: app.status.title == "Checking things"
                           and len(app.query(AssistantView)) == 2)  # fmt: skip
            app.query(ToolCallView).first().collapsed = False
            await settle(pilot)
            assert_snapshot(app, "chat_after_tool_call", tmp_path)
            await pilot.press("ctrl+b")
            await settle(pilot)
            assert_snapshot(app, "chat_with_sidebar", tmp_path)


async def test_the_edit_review_modal_shows_each_hunk_highlighted(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("read", {"path": "values.py"})]),
        Turn(tool_calls=[ToolCallSpec("write", {"path": "values.py", "content": NEW})]),
    )
    async with open_runtime(tmp_path, scripted_llm) as runtime:
        (runtime.workspace / "values.py").write_text(OLD)
        app = CodesmApp(runtime)
        async with app.run_test(size=SIZE) as pilot:
            app.prompt.input.value = "change two values"
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, EditApprovalScreen)
                           and app.screen.hunk_views())  # fmt: skip
            await pilot.press("down", "space")
            await settle(pilot)
            assert_snapshot(app, "edit_review", tmp_path)
            await pilot.press("escape")
            await wait_for(pilot, lambda: not app.status.running)


async def test_the_command_approval_modal_offers_once_always_and_deny(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(Turn(tool_calls=[ToolCallSpec("bash", {"command": "touch new.txt"})]))
    async with open_runtime(tmp_path, scripted_llm) as runtime:
        app = CodesmApp(runtime)
        async with app.run_test(size=SIZE) as pilot:
            app.prompt.input.value = "make a file"
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, CommandApprovalScreen)
                           and app.screen.query("#always"))  # fmt: skip
            await settle(pilot)
            assert_snapshot(app, "command_approval", tmp_path)
            await pilot.press("n")
            await wait_for(pilot, lambda: not app.status.running)


async def test_a_session_made_by_another_process_on_the_same_database_is_continued(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(Turn(text="answered in the browser"), Turn(text="answered in the TUI"))
    db = tmp_path / "codesm.db"
    env = {"ANTHROPIC_API_KEY": "sk-ant-test", "ANTHROPIC_BASE_URL": scripted_llm.base_url}
    workspace = tmp_path / "ws"
    workspace.mkdir()
    web = await Runtime.open(workspace, db_path=db, env=env, interactive=False)
    try:
        session = await web.new_session()
        await (await web.agent(session)).run_turn("asked in the browser")
    finally:
        await web.aclose()
    async with open_runtime(tmp_path, scripted_llm) as runtime:
        resumed = await _choose_session(runtime, TuiOptions(workspace, continue_latest=True))
        assert resumed is not None and resumed.id == session.id
        app = CodesmApp(runtime, session=resumed)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: "answered in the browser" in screen_text(app))
            assert "asked in the browser" in screen_text(app)
            app.prompt.input.value = "and now from the terminal"
            await pilot.press("enter")
            await wait_for(pilot, lambda: "answered in the TUI" in screen_text(app))
    assert len(scripted_llm.completion_requests()) == 2
