"""Bash output in a real browser: the tool card fills in while the command still runs, with its
ANSI colours as coloured text, and no CSP violation on the way."""

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

# Waits for a file the test creates, instead of `sleep 1`: the test decides when "done" may
# come, so "red is shown before done" does not depend on timing.
COMMAND = "printf '\\033[31mred\\033[0m'; while [ ! -e go.flag ]; do sleep 0.05; done; echo done"


def test_bash_output_streams_into_its_card_in_colour_while_the_command_runs(
    browser: Browser, server: LiveServer, scripted_llm: ScriptedLLMServer, workspace: Path
) -> None:
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("bash", {"command": COMMAND}, id="call_sh")]),
        Turn(text="It printed red, then done."),
        TITLE_TURN,
    )
    page, problems = open_new_session(browser, server)
    page.get_by_label("Permission mode").select_option("allow-all")
    expect(page.locator("#status-permission option[selected]")).to_have_text("allow-all")
    send(page, "Run the colour demo")

    card = page.locator("#tool-call_sh")
    red = card.locator(".tool-out .ansi-fg-red")
    expect(red).to_have_text("red")
    expect(card.locator(".badge")).to_have_text("running")
    expect(card.locator(".tool-out")).not_to_contain_text("done")
    colour = red.evaluate("e => getComputedStyle(e).color")
    plain = card.locator(".tool-out").evaluate("e => getComputedStyle(e).color")
    assert colour != plain
    screenshot(page, "web-terminal-running")

    (workspace / "go.flag").write_text("")
    expect(card.locator(".badge")).to_have_text("done")
    expect(card.locator(".tool-out")).to_have_text("reddone")
    expect(card.locator(".tool-out .ansi-fg-red")).to_have_text("red")
    page.reload()
    expect(page.locator("#tool-call_sh .tool-out .ansi-fg-red")).to_have_text("red")
    assert problems == []
