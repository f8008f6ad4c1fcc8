"""Subagents in a real browser: Chromium driving a real `codesm web` process whose agents talk to
the scripted LLM server. A `parallel_tasks` call shows its three subagents as live rows; one is
cancelled from its row while the others go on, one is steered from its row and its own session
shows the message, all without a console error or CSP violation."""

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


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "my-project"
    root.mkdir()
    (root / "notes.txt").write_text("alpha\nbeta\n")
    return root


def task(prompt: str) -> dict[str, str]:
    return {"subagent_type": "researcher", "prompt": prompt, "description": prompt}


def test_three_parallel_subagents_update_live_and_can_be_cancelled_steered_and_opened(
    browser: Browser, server: LiveServer, scripted_llm: ScriptedLLMServer
) -> None:
    tasks = [task("[a] survey files"), task("[b] hang around"), task("[c] read notes")]
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("parallel_tasks", {"tasks": tasks})]),
        Turn(when="[a]", delay_s=2.0, tool_calls=[ToolCallSpec("glob", {"pattern": "*.txt"})]),
        Turn(when="[a]", delay_s=3.0, text="a found notes.txt"),
        Turn(when="[b]", delay_s=60, text="b never answers"),
        Turn(when="[c]", delay_s=6.0, tool_calls=[ToolCallSpec("ls", {"path": "."})]),
        Turn(when="[steer-c]", text="c followed the steering"),
        Turn(text="All three reported."),
        TITLE_TURN,
    )
    page, problems = open_new_session(browser, server)
    send(page, "Look at this project three ways")

    rows = page.locator("ul.subagents > li.subagent")
    expect(rows).to_have_count(3)
    a, b, c = (rows.filter(has_text=f"[{name}]") for name in "abc")
    expect(c.locator(".subagent-ref")).to_have_text("3")  # the number /steer takes in the TUI
    expect(a.locator(".subagent-step")).to_contain_text("step 1 · thinking")
    # b waits on its slow reply, so no progress comes, yet its elapsed time ticks on
    expect(b.locator(".subagent-step")).to_contain_text("step 1 · thinking")
    elapsed = b.locator(".subagent-elapsed")
    expect(elapsed).not_to_have_text(elapsed.inner_text())
    expect(a.locator(".subagent-step")).to_contain_text("step 2 · thinking")
    expect(page.locator("#run-state")).to_contain_text("Stop")  # the turn is still running

    steer = c.get_by_label("Message for the researcher subagent")
    steer.fill("[steer-c] also read notes.txt")
    c.get_by_role("button", name="Steer").click()
    expect(steer).to_have_value("")
    rows.first.scroll_into_view_if_needed()
    screenshot(page, "web-subagents-live")
    expect(a.locator(".badge").first).to_have_text("completed")
    expect(a.locator(".subagent-step")).to_have_text("2 steps")
    b.get_by_role("button", name="Cancel").click()
    expect(b.locator(".badge").first).to_have_text("cancelled")
    expect(b.locator(".subagent-elapsed")).to_have_count(0)  # a finished row stops ticking

    expect(page.locator("#run-state")).to_contain_text("ready")
    expect(c.locator(".badge").first).to_have_text("completed")
    expect(page.locator(".tool-result").first).to_contain_text("2 completed, 0 failed, 1 cancelled")
    expect(b.locator(".subagent-controls form")).to_have_count(0)
    rows.first.scroll_into_view_if_needed()
    screenshot(page, "web-subagents")
    page.reload()  # the rows come back from the stored events with the same numbers
    expect(rows.locator(".subagent-ref")).to_have_text(["1", "2", "3"])

    c.get_by_role("link", name="researcher").click()
    page.wait_for_url(f"{server.base_url}/s/*")
    expect(page.locator("#connection-state")).to_have_text("connected")
    expect(page.locator(".notice-steer")).to_contain_text("[steer-c] also read notes.txt")
    expect(page.locator(".msg-assistant .md").last).to_contain_text("c followed the steering")
    screenshot(page, "web-subagent-session")
    assert problems == []
