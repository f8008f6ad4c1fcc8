"""Keyboard-first use of the session page in a real browser: the Ctrl+P command palette (commands
and "Open file…") and keyboard review of a proposed edit's hunks; without a console error."""

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


def test_ctrl_p_opens_the_palette_and_running_help_from_it_shows_the_help_reply(
    browser: Browser, server: LiveServer
) -> None:
    page, problems = open_new_session(browser, server)
    page.get_by_label("Message").focus()
    page.keyboard.press("Control+p")
    palette = page.locator("#palette")
    expect(palette).to_be_visible()
    expect(page.locator("#palette-input")).to_be_focused()
    page.keyboard.type("help")
    options = palette.locator("[role=option]:visible")
    expect(options).to_have_count(1)
    expect(options.first).to_have_attribute("aria-selected", "true")
    screenshot(page, "web-command-palette")
    page.keyboard.press("Enter")
    expect(palette).to_be_hidden()
    expect(page.locator("#flash.command-reply")).to_contain_text("/compact")
    expect(page.locator(".turn")).to_have_count(0)
    assert problems == []


def test_the_palette_opens_a_file_in_the_preview_and_escape_closes_it_without_cancelling(
    browser: Browser, server: LiveServer
) -> None:
    page, problems = open_new_session(browser, server)
    page.keyboard.press("Control+p")
    page.keyboard.type("open")
    page.keyboard.press("Enter")
    expect(page.locator("#palette-input")).to_have_attribute(
        "placeholder", "Type part of a file name…"
    )
    page.keyboard.type("app")
    file_option = page.locator("#palette-list [role=option]").first
    expect(file_option).to_have_text("src/app.py")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    expect(page.locator("#palette")).to_be_hidden()
    expect(page.locator("#preview .preview-path")).to_have_text("src/app.py")

    page.keyboard.press("Control+p")
    page.keyboard.press("Escape")
    expect(page.locator("#palette")).to_be_hidden()
    assert problems == []


def test_keyboard_review_unchecks_the_second_hunk_and_accepts_only_the_first(
    browser: Browser, server: LiveServer, scripted_llm: ScriptedLLMServer, workspace: Path
) -> None:
    lines = [f"line {n}" for n in range(1, 31)]
    (workspace / "long.txt").write_text("\n".join(lines) + "\n")
    changed = "\n".join(["FIRST", *lines[1:-1], "LAST"]) + "\n"
    write = {"path": "long.txt", "content": changed}
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("read", {"path": "long.txt"}, id="call_read")]),
        Turn(tool_calls=[ToolCallSpec("write", write, id="call_write")]),
        Turn(text="Partly done."),
        TITLE_TURN,
    )
    page, problems = open_new_session(browser, server)
    send(page, "Change both ends of long.txt")
    change = page.locator("article.change.pending")
    hunks = change.locator(".diff-hunk")
    expect(hunks).to_have_count(2)
    change.locator("header").click()  # focus leaves the composer: the keys are for the review

    page.keyboard.press("j")
    expect(hunks.nth(0)).to_have_class("diff-hunk hunk-current")
    page.keyboard.press("j")
    expect(hunks.nth(1)).to_have_class("diff-hunk hunk-current")
    page.keyboard.press(" ")
    expect(change.get_by_label("Accept hunk 2")).not_to_be_checked()
    expect(change.get_by_label("Accept hunk 1")).to_be_checked()
    page.keyboard.press("k")
    expect(hunks.nth(0)).to_have_class("diff-hunk hunk-current")
    screenshot(page, "web-keyboard-review")
    page.keyboard.press("a")

    expect(page.locator(".msg-assistant .md").last).to_have_text("Partly done.")
    text = (workspace / "long.txt").read_text()
    assert text.startswith("FIRST\n") and text.endswith("line 30\n")
    assert problems == []


def test_r_puts_the_cursor_in_the_reject_comment_and_typing_there_is_not_a_shortcut(
    browser: Browser, server: LiveServer, scripted_llm: ScriptedLLMServer, workspace: Path
) -> None:
    scripted_llm.script(*edit_turns("Understood, leaving it."))
    page, problems = open_new_session(browser, server)
    send(page, "Rename beta in notes.txt")
    change = page.locator("article.change.pending")
    change.locator("header").click()
    page.keyboard.press("r")
    comment = change.get_by_label("Comment for the agent")
    expect(comment).to_be_focused()
    page.keyboard.type("a jar")
    expect(comment).to_have_value("a jar")
    page.keyboard.press("Enter")
    expect(page.locator("article.change .badge").first).to_have_text("rejected")
    assert (workspace / "notes.txt").read_text() == "alpha\nbeta\ngamma\n"
    assert problems == []
