"""The chat in a real browser: Chromium driving a real `codesm web` process whose agent talks to
the scripted LLM server. Prompts stream, tool calls get cards, edits wait for review, and a reload
replays the transcript, all without a single console error or CSP violation."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.llm_script import Fault
from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn
from tests.web_live_server import LiveServer

pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
from playwright.sync_api import Browser, expect

from tests.e2e.browser_support import (
    needs_chromium,
    open_new_session,
    screenshot,
    send,
    start_new_session,
    watch_console,
    watched_page,
)
from tests.e2e.scripted_turns import TITLE_TURN, edit_turns

pytestmark = [pytest.mark.e2e, needs_chromium]


def test_a_prompt_streams_an_answer_with_a_tool_card_and_survives_a_reload(
    browser: Browser, server: LiveServer, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(
            text="Let me look at the files.",
            tool_calls=[ToolCallSpec("ls", {"path": "."}, id="call_ls")],
        ),
        Turn(
            text="The project has `src/app.py` and **notes.txt**.\n\n"
            "```python\ndef greet(name):\n    return name\n```",
            delta_size=3,
        ),
        TITLE_TURN,
    )
    page, problems = open_new_session(browser, server)
    send(page, "What is in this project?")

    expect(page.locator(".msg-user")).to_have_text("What is in this project?")
    card = page.locator("#tool-call_ls")
    expect(card).to_be_visible()
    expect(card.locator(".badge")).to_have_text("done")
    answer = page.locator(".msg-assistant .md strong")
    expect(answer).to_have_text("notes.txt")
    expect(page.locator(".msg-assistant pre.code-block .k").first).to_have_text("def")
    expect(page.locator("#run-state")).to_contain_text("ready")
    expect(page.get_by_label("Message")).to_have_value("")
    expect(page.locator("#status-usage")).to_contain_text("$")
    screenshot(page, "web-chat-light")

    page.reload()
    expect(page.locator("#connection-state")).to_have_text("connected")
    expect(page.locator(".msg-assistant .md strong")).to_have_text("notes.txt")
    expect(page.locator("#tool-call_ls .badge")).to_have_text("done")
    assert problems == []


def test_in_review_mode_an_edit_shows_a_diff_and_accepting_writes_the_file(
    browser: Browser, server: LiveServer, scripted_llm: ScriptedLLMServer, workspace: Path
) -> None:
    scripted_llm.script(*edit_turns("Done: beta is now BETA."))
    page, problems = open_new_session(browser, server)
    send(page, "Rename beta in notes.txt")

    change = page.locator("article.change")
    expect(change.locator(".drow-del .src")).to_have_text("-beta")
    expect(change.locator(".drow-add .src")).to_have_text("+BETA")
    assert (workspace / "notes.txt").read_text() == "alpha\nbeta\ngamma\n"
    screenshot(page, "web-review-pending")

    change.get_by_role("button", name="Accept change").click()
    expect(change.locator(".badge").first).to_have_text("applied")
    expect(page.locator(".msg-assistant .md").last).to_have_text("Done: beta is now BETA.")
    assert (workspace / "notes.txt").read_text() == "alpha\nBETA\ngamma\n"
    assert problems == []


def test_rejecting_an_edit_with_a_comment_leaves_the_file_and_tells_the_model(
    browser: Browser, server: LiveServer, scripted_llm: ScriptedLLMServer, workspace: Path
) -> None:
    scripted_llm.script(*edit_turns("Understood, leaving it."))
    page, problems = open_new_session(browser, server)
    send(page, "Rename beta in notes.txt")

    change = page.locator("article.change")
    change.get_by_label("Comment for the agent").fill("keep it lowercase")
    change.get_by_role("button", name="Reject").click()
    expect(change.locator(".badge").first).to_have_text("rejected")
    expect(page.locator(".msg-assistant .md").last).to_have_text("Understood, leaving it.")
    assert (workspace / "notes.txt").read_text() == "alpha\nbeta\ngamma\n"
    assert "keep it lowercase" in str(scripted_llm.completion_requests()[2].body)
    assert problems == []


def test_the_file_tree_opens_folders_and_previews_files_highlighted(
    browser: Browser, server: LiveServer
) -> None:
    page, problems = open_new_session(browser, server)
    page.locator(".tree-dir summary", has_text="src").click()
    page.get_by_role("button", name="app.py").click()
    expect(page.locator("#preview .preview-path")).to_have_text("src/app.py")
    expect(page.locator("#preview .src .k").first).to_have_text("def")
    assert problems == []


def test_the_sidebar_renames_and_deletes_sessions(browser: Browser, server: LiveServer) -> None:
    page, problems = open_new_session(browser, server)
    item = page.locator(".session-item.current")
    item.get_by_label("Session actions").click()
    item.get_by_label("New title").fill("Release checklist")
    item.get_by_role("button", name="Rename").click()
    expect(page.locator(".session-item.current .session-name")).to_have_text("Release checklist")

    page.on("dialog", lambda dialog: dialog.accept())
    current = page.locator(".session-item.current")
    current.get_by_label("Session actions").click()
    current.get_by_role("button", name="Delete").click()
    page.wait_for_url(f"{server.base_url}/")
    expect(page.get_by_role("heading", name="What should we build?")).to_be_visible()
    assert problems == []


def test_the_page_in_dark_mode(
    browser: Browser, server: LiveServer, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(*edit_turns("Done."))
    page, problems = watched_page(browser, color_scheme="dark")
    start_new_session(page, server)
    page.locator(".tree-dir summary", has_text="src").click()
    page.get_by_role("button", name="app.py").click()
    send(page, "Rename beta in notes.txt")
    expect(page.locator("article.change .drow-add .src")).to_have_text("+BETA")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(19, 21, 25)"
    screenshot(page, "web-review-dark")
    page.context.close()
    assert problems == []


def test_escape_stops_a_running_turn_and_a_second_tab_sees_it_all(
    browser: Browser, server: LiveServer, scripted_llm: ScriptedLLMServer
) -> None:
    slow = Turn(text="I am thinking very slowly about this question.", delta_size=4)
    scripted_llm.script(Fault("stall", turn=slow, after_bytes=900, stall_s=8), TITLE_TURN)
    page, problems = open_new_session(browser, server)
    other = page.context.new_page()
    other_problems = watch_console(other)
    other.goto(page.url)
    expect(other.locator("#connection-state")).to_have_text("connected")

    send(page, "Take your time")
    expect(page.get_by_role("button", name="Stop")).to_be_visible()
    expect(other.locator(".msg-user")).to_have_text("Take your time")
    page.keyboard.press("Escape")
    expect(page.locator(".turn-status")).to_contain_text("cancelled")
    expect(other.locator(".turn-status")).to_contain_text("cancelled")
    expect(page.locator("#run-state")).to_contain_text("ready")
    assert problems == [] and other_problems == []


def test_the_status_bar_switches_mode_permission_mode_and_theme(
    browser: Browser, server: LiveServer
) -> None:
    page, problems = open_new_session(browser, server)
    page.get_by_role("button", name="Mode smart, switch").click()
    expect(page.get_by_role("button", name="Mode rush, switch")).to_be_visible()
    page.get_by_label("Permission mode").select_option("auto-edit")
    expect(page.locator("#status-permission option[selected]")).to_have_text("auto-edit")
    page.reload()
    expect(page.get_by_role("button", name="Mode rush, switch")).to_be_visible()
    page.locator("#toggle-theme").click()
    page.locator("#toggle-theme").click()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(19, 21, 25)"
    assert problems == []
