"""The session page's working tools in a real browser: the changes list with undo and redo,
"allow always" on a command, `/` commands and `@file` mentions with completion, the task list,
and the connect-a-provider dialog; all without a console error or CSP violation."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn
from tests.web_live_server import LiveServer

pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
from playwright.sync_api import Browser, expect

from tests.e2e.browser_support import needs_chromium, open_new_session, screenshot, send
from tests.e2e.scripted_turns import TITLE_TURN, edit_turns

pytestmark = [pytest.mark.e2e, needs_chromium]


def test_an_accepted_edit_is_listed_and_undo_then_redo_restore_the_file(
    browser: Browser, server: LiveServer, scripted_llm: ScriptedLLMServer, workspace: Path
) -> None:
    scripted_llm.script(*edit_turns("Done."))
    page, problems = open_new_session(browser, server)
    send(page, "Rename beta in notes.txt")
    page.locator("article.change").get_by_role("button", name="Accept change").click()
    changes = page.locator("#changes-list")
    expect(changes.locator(".change-paths")).to_have_text("notes.txt")
    expect(changes.locator(".diffstat")).to_have_text("+1 -1")
    assert (workspace / "notes.txt").read_text() == "alpha\nBETA\ngamma\n"
    screenshot(page, "web-changes-list")

    changes.get_by_role("button", name="Undo notes.txt").click()
    expect(changes.get_by_role("button", name="Redo notes.txt")).to_be_visible()
    expect(page.locator("article.change .badge").first).to_have_text("undone")
    assert (workspace / "notes.txt").read_text() == "alpha\nbeta\ngamma\n"
    changes.get_by_role("button", name="Redo notes.txt").click()
    expect(changes.get_by_role("button", name="Undo notes.txt")).to_be_visible()
    assert (workspace / "notes.txt").read_text() == "alpha\nBETA\ngamma\n"
    assert problems == []


def test_allowing_a_command_always_runs_it_again_without_asking(
    browser: Browser, server: LiveServer, scripted_llm: ScriptedLLMServer, workspace: Path
) -> None:
    touch = {"command": "touch made.txt"}
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("bash", touch, id="call_one")]),
        Turn(tool_calls=[ToolCallSpec("bash", touch, id="call_two")]),
        Turn(text="Touched twice."),
        TITLE_TURN,
    )
    page, problems = open_new_session(browser, server)
    send(page, "Touch the file twice")
    approval = page.locator("article.approval")
    approval.get_by_role("button", name="Allow always for this session").click()
    expect(page.locator(".msg-assistant .md").last).to_have_text("Touched twice.")
    expect(page.locator("#tool-call_two .badge")).to_have_text("done")
    expect(approval).to_have_count(1)
    assert (workspace / "made.txt").exists()
    assert problems == []


def test_slash_commands_and_file_mentions_complete_in_the_composer(
    browser: Browser, server: LiveServer, scripted_llm: ScriptedLLMServer
) -> None:
    todos = [
        {"id": "1", "content": "Read src/app.py", "status": "completed"},
        {"id": "2", "content": "Explain greet", "status": "in_progress"},
    ]
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("todo_write", {"todos": todos}, id="call_todo")]),
        Turn(text="`greet` says hello."),
        TITLE_TURN,
    )
    page, problems = open_new_session(browser, server)
    prompt = page.get_by_label("Message")
    prompt.press_sequentially("/he")
    options = page.locator("#completions [role=option]")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("/help")
    prompt.press("Enter")
    expect(prompt).to_have_value("/help ")
    prompt.press("Enter")
    expect(page.locator("#flash.command-reply")).to_contain_text("/compact")
    expect(page.locator(".turn")).to_have_count(0)

    prompt.press_sequentially("Explain @app")
    expect(options.first).to_have_attribute("data-value", "@src/app.py")
    screenshot(page, "web-mention-completion")
    prompt.press("Tab")
    expect(prompt).to_have_value("Explain @src/app.py ")
    prompt.press("Enter")
    tasks = page.locator("#todo-panel")
    expect(tasks.locator(".todo")).to_have_count(2)
    expect(tasks.locator(".todo-completed")).to_have_text("● Read src/app.py (completed)")
    expect(tasks).to_contain_text("1/2")
    expect(page.locator(".msg-user .msg-text")).to_have_text("Explain @src/app.py")
    expect(page.locator(".msg-user .attachment")).to_contain_text("src/app.py")

    send(page, "/cost")
    expect(page.locator("#flash a[href='/costs']")).to_be_visible()
    send(page, "/connect")
    dialog = page.locator("#connect-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("OPENAI_API_KEY")
    expect(dialog).to_contain_text("11434")
    screenshot(page, "web-connect-dialog")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    assert problems == []
