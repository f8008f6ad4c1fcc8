"""Side-by-side diff review in a real browser: the switch re-renders the pending change in the
other layout keeping the reviewer's picks, the keyboard review works there, one hunk is accepted
and the other rejected (checked on disk), and the choice survives a reload."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn
from tests.web_live_server import LiveServer

pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
from playwright.sync_api import Browser, expect

from tests.e2e.browser_support import needs_chromium, open_new_session, screenshot, send
from tests.e2e.scripted_turns import TITLE_TURN

pytestmark = [pytest.mark.e2e, needs_chromium]


def test_side_by_side_review_accepts_one_hunk_rejects_the_other_and_is_remembered(
    browser: Browser, server: LiveServer, scripted_llm: ScriptedLLMServer, workspace: Path
) -> None:
    lines = [f"line {n}" for n in range(1, 31)]
    (workspace / "long.py").write_text("\n".join(lines) + "\n")
    changed = "\n".join(["FIRST = 1", *lines[1:-1], "LAST = 2"]) + "\n"
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("read", {"path": "long.py"}, id="call_read")]),
        Turn(tool_calls=[ToolCallSpec("write", {"path": "long.py", "content": changed})]),
        Turn(text="Kept the first change only."),
        TITLE_TURN,
    )
    page, problems = open_new_session(browser, server)
    send(page, "Change both ends of long.py")
    change = page.locator("article.change.pending")
    diff = change.locator(".diff")
    expect(diff).to_have_attribute("data-layout", "unified")
    hunks = change.locator(".diff-hunk")
    expect(hunks).to_have_count(2)

    change.locator("header").click()  # focus leaves the composer: the keys are for the review
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press(" ")  # the second hunk unchecked while unified
    expect(change.get_by_label("Accept hunk 2")).not_to_be_checked()

    toggle = change.get_by_role("button", name="Side by side")
    toggle.click()
    expect(diff).to_have_attribute("data-layout", "split")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    first_row = hunks.nth(0).locator(".srow").filter(has_text="FIRST")
    expect(first_row.locator(".side-del")).to_have_count(2)  # number and text of the old line
    expect(first_row.locator(".src.side-del")).to_have_text("-line 1")
    expect(first_row.locator(".src.side-add .n").first).to_have_text("FIRST")  # highlighted
    expect(change.get_by_label("Accept hunk 1")).to_be_checked()
    expect(change.get_by_label("Accept hunk 2")).not_to_be_checked()  # the pick survived
    expect(hunks.nth(1)).to_have_class("diff-hunk hunk-current")
    screenshot(page, "web-review-side-by-side")

    page.keyboard.press("k")  # keyboard review goes on in the side-by-side layout
    expect(hunks.nth(0)).to_have_class("diff-hunk hunk-current")
    page.keyboard.press("a")

    expect(page.locator(".msg-assistant .md").last).to_have_text("Kept the first change only.")
    text = (workspace / "long.py").read_text()
    assert text.startswith("FIRST = 1\n") and text.endswith("line 30\n")

    page.reload()
    expect(page.locator("#connection-state")).to_have_text("connected")
    expect(page.locator("article.change .diff")).to_have_attribute("data-layout", "split")
    page.locator("article.change").get_by_role("button", name="Side by side").click()
    expect(page.locator("article.change .diff")).to_have_attribute("data-layout", "unified")
    expect(page.locator("article.change .drow-add .src").first).to_have_text("+FIRST = 1")
    assert problems == []
