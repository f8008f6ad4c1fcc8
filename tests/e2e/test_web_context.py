"""The Context panel in a real browser: Chromium driving a real `codesm web` whose agent talks to
the scripted LLM server. The panel appears after the first model step, stays open as it is
replaced after every step, and its numbers change when a turn reads a file; `/context` opens it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn, UsageSpec
from tests.web_live_server import LiveServer

pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser_support import needs_chromium, open_new_session, send

pytestmark = [pytest.mark.e2e, needs_chromium]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "context-project"
    root.mkdir()
    (root / "AGENTS.md").write_text("Run the tests before you answer.\n" * 20)
    (root / "notes.txt").write_text("a long line of notes to read\n" * 400)
    return root


def row(page: Page, label: str) -> str:
    """The tokens cell of the panel's row `label`, as shown."""
    cells = page.locator("#context-panel tr.ctx-row", has_text=label).locator("td.num")
    return cells.first.inner_text()


def tokens(text: str) -> int:
    return int(text.replace(",", ""))


def test_the_context_panel_shows_what_fills_the_window_and_changes_after_a_turn(
    browser: Browser, server: LiveServer, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(text="Hello, I am ready.", usage=UsageSpec(input_tokens=4_000, output_tokens=40)),
        Turn(text="Greeting", when="Write a title"),
        Turn(
            tool_calls=[ToolCallSpec("read", {"path": "notes.txt"}, id="call_r1")],
            usage=UsageSpec(input_tokens=4_100, output_tokens=30),
        ),
        Turn(
            text="The notes repeat one line.", usage=UsageSpec(input_tokens=7_000, output_tokens=40)
        ),
    )
    page, problems = open_new_session(browser, server, height=1000)
    panel = page.locator("#context-panel")
    expect(panel).to_be_hidden()  # nothing measured before the first model call

    send(page, "hello")
    expect(page.locator("#run-state")).to_contain_text("ready", timeout=15_000)
    expect(panel).to_be_visible()
    total = page.locator("#context-total")
    expect(total).to_contain_text(re.compile(r"[\d,]+ / [\d,]+ tokens"))
    panel.locator("summary").click()
    expect(panel.locator("table.context-table")).to_be_visible()
    expect(panel.locator("svg.ctx-bar rect.ctx-seg").first).to_be_attached()
    assert tokens(row(page, "Instructions: AGENTS.md")) > 0
    assert tokens(row(page, "Tool outputs")) == 0
    first_total = total.inner_text()
    first_user = tokens(row(page, "User messages"))

    send(page, "read notes.txt and tell me what is in it")
    expect(page.locator("#tool-call_r1 .badge")).to_have_text("done")
    expect(page.locator("#run-state")).to_contain_text("ready", timeout=15_000)
    expect(total).not_to_have_text(first_total)
    # Replaced after every step, the panel stayed open, and now holds the file that was read.
    expect(panel.locator("table.context-table")).to_be_visible()
    assert tokens(row(page, "Tool outputs")) > 0
    assert tokens(row(page, "User messages")) > first_user

    panel.locator("summary").click()  # closed by the reader: /context opens it again
    expect(panel.locator("table.context-table")).to_be_hidden()
    send(page, "/context")
    expect(page.locator("#transcript")).to_contain_text("the Context panel shows what")
    expect(panel.locator("table.context-table")).to_be_visible()
    assert problems == []
