"""Themes and the page's own shortcuts in a real browser: Ctrl+T / Alt+T and `/theme` cycle
system, light, dark and high contrast (kept across a reload, focus ring visible); Ctrl+N and Alt+N
start a new session; and the file tree marks a file the agent changes while the turn runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn
from tests.web_live_server import LiveServer

pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser_support import needs_chromium, open_new_session, screenshot, send
from tests.e2e.scripted_turns import TITLE_TURN

pytestmark = [pytest.mark.e2e, needs_chromium]


def theme_of(page: Page) -> str | None:
    theme: str | None = page.evaluate("document.documentElement.dataset.theme ?? null")
    return theme


def background(page: Page) -> str:
    colour: str = page.evaluate("getComputedStyle(document.body).backgroundColor")
    return colour


def test_ctrl_t_and_alt_t_cycle_the_themes_through_high_contrast_and_it_is_kept(
    browser: Browser, server: LiveServer
) -> None:
    page, problems = open_new_session(browser, server)
    assert theme_of(page) is None and background(page) == "rgb(247, 247, 245)"  # system: light
    page.keyboard.press("Control+t")
    assert theme_of(page) == "light"
    page.keyboard.press("Alt+t")
    assert theme_of(page) == "dark" and background(page) == "rgb(19, 21, 25)"
    page.get_by_label("Message").focus()  # the shortcut works while typing too
    page.keyboard.press("Control+t")
    assert theme_of(page) == "contrast" and background(page) == "rgb(0, 0, 0)"
    expect(page.locator("#toggle-theme")).to_have_attribute(
        "title", "Theme: high contrast (Ctrl+T or Alt+T for the next)"
    )

    page.reload()
    expect(page.locator("#connection-state")).to_have_text("connected")
    assert theme_of(page) == "contrast"
    page.locator("#toggle-sidebar").focus()
    page.keyboard.press("Tab")  # keyboard focus: the ring must show
    ring = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineWidth, s.outlineColor]; })()"
    )
    assert ring == ["solid", "3px", "rgb(255, 221, 0)"]
    screenshot(page, "web-theme-high-contrast")

    page.keyboard.press("Alt+t")
    assert theme_of(page) is None  # back to the system's
    assert problems == []


def test_the_theme_command_sets_a_named_theme(browser: Browser, server: LiveServer) -> None:
    page, problems = open_new_session(browser, server)
    send(page, "/theme high-contrast")
    expect(page.locator("#flash")).to_contain_text("Theme switched.")
    # Locator assertions, not wait_for_function: a string predicate that has to poll is run with
    # eval, which the page's CSP (rightly) refuses.
    expect(page.locator("html")).to_have_attribute("data-theme", "contrast")
    send(page, "/theme dark")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    expect(page.locator(".turn")).to_have_count(0)  # a command, not a prompt
    assert problems == []


def test_ctrl_n_and_alt_n_start_a_new_session(browser: Browser, server: LiveServer) -> None:
    page, problems = open_new_session(browser, server)
    first = page.url
    page.keyboard.press("Control+n")
    page.wait_for_url(lambda url: url != first and "/s/" in url)
    second = page.url
    expect(page.locator("#connection-state")).to_have_text("connected")
    page.get_by_label("Message").focus()
    page.keyboard.press("Alt+n")
    page.wait_for_url(lambda url: url not in (first, second) and "/s/" in url)
    expect(page.locator("#session-list .session-item")).to_have_count(3)
    assert problems == []


def test_a_file_the_agent_changes_is_marked_in_the_tree_while_the_turn_runs(
    browser: Browser, server: LiveServer, scripted_llm: ScriptedLLMServer, workspace: Path
) -> None:
    edit_app = {"path": "src/app.py", "old_string": "Hello", "new_string": "Hi"}
    edit_notes = {"path": "notes.txt", "old_string": "beta", "new_string": "BETA"}
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("read", {"path": "src/app.py"}, id="call_read_app")]),
        Turn(tool_calls=[ToolCallSpec("edit", edit_app, id="call_edit_app")]),
        Turn(tool_calls=[ToolCallSpec("read", {"path": "notes.txt"}, id="call_read_notes")]),
        Turn(tool_calls=[ToolCallSpec("edit", edit_notes, id="call_edit_notes")]),
        Turn(text="Changed app.py only."),
        TITLE_TURN,
    )
    page, problems = open_new_session(browser, server)
    tree = page.locator("#codepane .tree")
    tree.locator(".tree-dir summary", has_text="src").click()
    app_item = tree.locator("li.tree-file", has_text="app.py")
    expect(app_item).to_be_visible()
    expect(tree.locator(".changed-dot")).to_have_count(0)

    send(page, "Say Hi, and shout beta")
    page.locator("article.change.pending").get_by_role("button", name="Accept change").click()
    # The second edit now waits for review, so the turn is still running: no reload happened.
    expect(page.locator("article.change.pending")).to_contain_text("notes.txt")
    expect(app_item).to_have_class("tree-file tree-changed")
    expect(app_item.locator(".changed-dot")).to_have_attribute(
        "aria-label", "changed in this session"
    )
    expect(tree.locator("li.tree-dir", has_text="src")).to_have_class("tree-dir tree-has-changes")
    expect(tree.locator("li.tree-file", has_text="notes.txt")).to_have_class("tree-file")
    expect(page.get_by_role("button", name="Stop")).to_be_visible()
    screenshot(page, "web-tree-live-mark")

    page.locator("article.change.pending").get_by_role("button", name="Reject").click()
    expect(page.locator(".msg-assistant .md").last).to_have_text("Changed app.py only.")
    assert (workspace / "src" / "app.py").read_text().count("Hi, {name}") == 1
    assert problems == []
