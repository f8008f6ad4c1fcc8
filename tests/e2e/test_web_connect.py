"""Connecting a provider from the browser and attaching a file with `@`: Chromium against a real
`codesm web` started with no provider at all. The key is typed into the connect dialog, never
comes back to the page, and the very next prompt (with an `@file` in it) is answered by the
OpenAI-compatible server the dialog pointed at, which receives the file's text."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.scripted_llm import ScriptedLLMServer, Turn
from tests.web_live_server import LiveServer

pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
from playwright.sync_api import Browser, expect

from tests.e2e.browser_support import needs_chromium, open_new_session, screenshot, send

pytestmark = [pytest.mark.e2e, needs_chromium]
LOCAL_KEY = "sk-local-e2e-5e6f7a8b9c0d1e2f"
NOTES = "alpha\nbeta\ngamma\n"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "notes.txt").write_text(NOTES)
    return root


@pytest.fixture
def server_env(home_env: dict[str, str]) -> dict[str, str]:
    return home_env  # no provider: the dialog connects one


def test_a_key_entered_in_the_dialog_connects_and_an_at_file_reaches_the_model(
    browser: Browser, server: LiveServer, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(text="The notes list **alpha**, beta and gamma.", delta_size=4),
        Turn(text="Notes summary"),
    )
    page, problems = open_new_session(browser, server, width=1280)
    expect(page.locator("#provider-notice")).to_be_visible()

    send(page, "/connect")
    dialog = page.locator("#connect-dialog")
    expect(dialog).to_be_visible()
    row = dialog.locator("#provider-openai-compatible")
    row.locator("summary").click()
    row.get_by_label("Base URL").fill(scripted_llm.openai_base_url)
    row.get_by_label("API key (optional)").fill(LOCAL_KEY)
    row.get_by_label("Model").fill("local-model")
    row.get_by_role("button", name="Save").click()

    expect(dialog.locator(".connect-message")).to_have_text("openai-compatible is connected.")
    summary = dialog.locator("#provider-openai-compatible summary")
    expect(summary).to_contain_text("configured ✓")
    expect(summary).to_contain_text(f"…{LOCAL_KEY[-4:]}")
    expect(page.locator("#provider-notice")).to_have_count(0)
    expect(page.locator("#status-model select")).to_have_value("local-model")
    assert LOCAL_KEY not in page.content()
    screenshot(page, "web-connect-dialog-saved")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()

    send(page, "Summarise @notes.txt for me")
    chip = page.locator(".msg-user .attachment")
    expect(chip).to_contain_text("notes.txt")
    expect(chip).to_contain_text("3 lines")
    expect(page.locator(".msg-assistant .md strong")).to_have_text("alpha")
    expect(page.locator("#run-state")).to_contain_text("ready")
    assert NOTES not in page.locator("#transcript").inner_text()  # a chip, not the file

    request = scripted_llm.completion_requests()[0]
    assert request.path == "/v1/chat/completions" and request.body["model"] == "local-model"
    assert request.headers["authorization"] == f"Bearer {LOCAL_KEY}"
    user = request.body["messages"][-1]["content"]
    assert user.startswith("Summarise @notes.txt for me")
    assert f'<attached-file path="notes.txt">\n{NOTES}</attached-file>' in user
    assert LOCAL_KEY not in page.content()
    screenshot(page, "web-at-file-attached")
    assert problems == []
