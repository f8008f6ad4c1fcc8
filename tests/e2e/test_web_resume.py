"""A session page picks up exactly where it was: reloaded in the middle of a streaming answer it
shows what already arrived and goes on live (nothing twice), and after `codesm web` is stopped
and started again on the same user state the transcript, tool cards and costs are unchanged."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support import llm_wire as wire
from tests.support.llm_script import Fault
from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn, UsageSpec
from tests.web_live_server import live_server

pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser_support import (
    needs_chromium,
    open_new_session,
    screenshot,
    send,
    watched_page,
)

pytestmark = [pytest.mark.e2e, needs_chromium]
TITLE_TURN = Turn(text="Resuming sessions")
FIRST = "Streamed before the reload. "
SECOND = "Streamed after it, live."
CSRF_VALUE = re.compile(r'name="csrf_token" value="[^"]*"')


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("print('hi')\n")
    return root


def stall_before(marker: str, turn: Turn) -> int:
    """The body offset of the SSE event that carries `marker` (the stream pauses there)."""
    frames = wire.anthropic_frames(turn, "claude-sonnet-5-5", 1)
    body = b"".join(chunk for _, chunk in frames)
    return body.rfind(b"event:", 0, body.index(marker.encode()))


def test_a_reload_mid_turn_replays_what_streamed_and_follows_the_rest_live(
    browser: Browser, workspace: Path, server_env: dict[str, str], scripted_llm: ScriptedLLMServer
) -> None:
    answer = Turn(text=FIRST + SECOND, delta_size=len(FIRST))
    stall = Fault("stall", turn=answer, after_bytes=stall_before(SECOND, answer), stall_s=60)
    scripted_llm.script(stall, TITLE_TURN)
    with live_server(workspace, env_overrides=server_env) as server:
        page, problems = open_new_session(browser, server, width=1280, height=860)
        send(page, "Tell me in two parts")
        streaming = page.locator(".msg-assistant.streaming")
        expect(streaming).to_contain_text(FIRST.strip())

        page.reload()
        expect(page.locator("#connection-state")).to_have_text("connected")
        expect(page.locator(".msg-assistant")).to_have_count(1)
        expect(page.locator(".msg-assistant")).to_contain_text(FIRST.strip())
        expect(page.locator(".msg-assistant")).not_to_contain_text(SECOND)
        expect(page.get_by_role("button", name="Stop")).to_be_visible()

        scripted_llm.release_stalls()  # the rest of the answer can only arrive live now
        expect(page.locator("#run-state")).to_contain_text("ready")
        expect(page.locator(".msg-assistant")).to_have_count(1)
        expect(page.locator(".msg-assistant")).to_have_text(FIRST + SECOND)
        assert page.locator("#transcript").inner_text().count(FIRST.strip()) == 1
        assert page.locator(".msg-user").all_inner_texts() == ["Tell me in two parts"]
        screenshot(page, "web-resume-after-reload")
        assert problems == []


def test_after_a_restart_the_session_page_is_exactly_as_before(
    browser: Browser, workspace: Path, server_env: dict[str, str], scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(
            text="Let me look.",
            tool_calls=[ToolCallSpec("ls", {"path": "."}, id="call_ls")],
            usage=UsageSpec(input_tokens=40_000, output_tokens=900),
        ),
        Turn(text="There is **one** file: `src/app.py`.", usage=UsageSpec(output_tokens=300)),
        TITLE_TURN,
    )
    with live_server(workspace, env_overrides=server_env) as first:
        page, problems = open_new_session(browser, first, width=1280, height=860)
        session_path = page.url.removeprefix(first.base_url)
        send(page, "What is here?")
        expect(page.locator("#tool-call_ls .badge")).to_have_text("done")
        expect(page.locator("#run-state")).to_contain_text("ready")
        expect(page.locator("#session-title")).to_have_text(TITLE_TURN.text)
        page.reload()  # what a fresh page of this server shows, to compare like with like
        expect(page.locator("#connection-state")).to_have_text("connected")
        before = snapshot_of(page)
        assert "$" in before["usage"] and "one" in before["transcript"]
        page.context.close()
        status, _, _ = first.interrupt()
        assert status == 0
        assert problems == []

    # The same `server_env`, so the same home: the same database and settings as the first.
    with live_server(workspace, env_overrides=server_env) as second:
        assert second.port != first.port or second.token != first.token
        page, problems = watched_page(browser, width=1280, height=860)
        page.goto(second.launch_url)  # the owner token of this server, then the session's URL
        page.goto(second.base_url + session_path)
        expect(page.locator("#connection-state")).to_have_text("connected")
        expect(page.locator("#tool-call_ls .badge")).to_have_text("done")
        assert snapshot_of(page) == before
        screenshot(page, "web-resume-after-restart")
        assert problems == []


def snapshot_of(page: Page) -> dict[str, str]:
    """What a user sees of a session: the transcript (markup, minus the per-server CSRF token),
    the title, the cost and context, and the model."""
    transcript = CSRF_VALUE.sub("", page.locator("#transcript").inner_html())
    return {
        "transcript": transcript,
        "title": page.locator("#session-title").inner_text(),
        "usage": page.locator("#status-usage").inner_text(),
        "model": page.locator("#status-model").inner_text(),
    }
