"""Mermaid diagrams in a real browser: an answer's ```mermaid block is drawn as an SVG inside a
sandboxed iframe (the page's CSP stays strict), live and after a reload, with its source one click
away; hostile diagram source runs nothing, and a broken diagram shows its source and the error."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.scripted_llm import ScriptedLLMServer, Turn
from tests.web_live_server import LiveServer

pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
from playwright.sync_api import Browser, Dialog, Page, expect

from tests.e2e.browser_support import (
    needs_chromium,
    open_new_session,
    screenshot,
    send,
    start_new_session,
    watched_page,
)

pytestmark = [pytest.mark.e2e, needs_chromium]

TITLE_TURN = Turn(text="Drawing the flow", when="Write a title")
FLOWCHART = (
    "flowchart TD\n  Start[Read the issue] --> Build[Build the frame]\n  Build --> Done[Ship it]"
)
HOSTILE = (
    "flowchart TD\n"
    "  A[\"<img src=x onerror=parent.postMessage('pwned-img','*')>\"] --> B\n"
    "  B[\"<script>parent.postMessage('pwned-script','*')</script>\"] --> C[plain]\n"
    '  click A call parent.postMessage("pwned-click", "*")\n'
    "  click C href \"javascript:parent.postMessage('pwned-href','*')\""
)
BROKEN = "flowchart TD\n  A --> ((( this is not mermaid"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    return root


def ask(browser: Browser, server: LiveServer, prompt: str) -> tuple[Page, list[str]]:
    page, problems = open_new_session(browser, server, width=1280)
    send(page, prompt)
    return page, problems


def answer_with(diagram: str) -> Turn:
    return Turn(
        text=f"Here is the flow:\n\n```mermaid\n{diagram}\n```\n\nThat is all.", delta_size=40
    )


def test_a_mermaid_block_is_drawn_in_a_sandboxed_frame_live_and_after_a_reload(
    browser: Browser, server: LiveServer, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(answer_with(FLOWCHART), TITLE_TURN)
    page, problems = ask(browser, server, "Draw the plan")

    frame = page.locator(".msg-assistant iframe.mermaid-frame")
    expect(frame).to_have_attribute("sandbox", "allow-scripts")
    drawing = page.frame_locator(".msg-assistant iframe.mermaid-frame").locator("#diagram > svg")
    expect(drawing).to_be_visible()
    expect(drawing).to_contain_text("Build the frame")
    expect(drawing.locator(".node")).to_have_count(3)
    expect(page.locator(".mermaid-figure")).to_have_class("mermaid-figure")  # drawing finished
    assert int(frame.get_attribute("height") or 0) > 100  # sized to the drawing by its message

    source = page.locator(".mermaid-details pre.mermaid-source")
    expect(source).to_be_hidden()
    page.get_by_text("show source").click()
    expect(source).to_have_text(FLOWCHART)
    screenshot(page, "web-mermaid")

    page.reload()
    expect(page.locator("#connection-state")).to_have_text("connected")
    expect(drawing).to_contain_text("Ship it")
    assert problems == []


def test_hostile_mermaid_source_runs_nothing_in_the_frame_or_the_page(
    browser: Browser, server: LiveServer, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(answer_with(HOSTILE), TITLE_TURN)
    page, problems = watched_page(browser, width=1280)
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    # Any script that ran in the frame could reach the page only by postMessage: record them all.
    page.add_init_script(
        "window.__messages = [];"
        "addEventListener('message', (e) => window.__messages.push(JSON.stringify(e.data)));"
    )
    start_new_session(page, server)
    send(page, "Draw something nasty")

    inner = page.frame_locator(".msg-assistant iframe.mermaid-frame")
    drawing = inner.locator("#diagram > svg")
    expect(drawing).to_contain_text("plain")
    for node in drawing.locator(".node").all():
        node.click(force=True)
    expect(inner.locator("[onerror], [onclick], [onload], svg script")).to_have_count(0)
    expect(inner.locator("a[href^='javascript:' i]")).to_have_count(0)

    # Messages from one frame arrive in order: once a redraw asked for after the clicks has been
    # reported, anything those clicks posted has arrived too.
    page.locator("#toggle-theme").click()
    # Polled from here: `wait_for_function` evaluates a polling predicate with eval, which the
    # page's CSP refuses.
    messages: list[str] = []
    for _ in range(200):
        messages = page.evaluate("window.__messages")
        if sum('"drawn"' in m for m in messages) >= 2:
            break
        page.wait_for_timeout(50)
    assert sum('"drawn"' in m for m in messages) >= 2, messages
    assert not [m for m in messages if "pwned" in m], messages
    assert dialogs == []
    assert not [p for p in problems if "pwned" in p or "allow-modals" in p], problems


def test_a_diagram_mermaid_cannot_parse_shows_its_source_and_the_error(
    browser: Browser, server: LiveServer, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(answer_with(BROKEN), TITLE_TURN)
    page, problems = ask(browser, server, "Draw a broken one")

    figure = page.locator(".msg-assistant .mermaid-figure")
    expect(figure).to_have_class("mermaid-figure mermaid-failed")
    expect(figure.locator(".mermaid-error")).to_contain_text("Diagram not drawn")
    expect(figure.locator("iframe.mermaid-frame")).to_be_hidden()
    expect(figure.locator("pre.mermaid-source")).to_have_text(BROKEN)
    expect(figure.locator("pre.mermaid-source")).to_be_visible()
    assert problems == []
