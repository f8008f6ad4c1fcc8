"""The settings page in a real browser: Chromium driving a real `codesm web` whose project has an
unapproved MCP server (the real stdio test server). The owner opens Settings from the session
page, sees the server waiting for approval, approves it, and watches it come up with its tools;
the instruction file in effect is listed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.mcp_servers import stdio_entry
from tests.web_live_server import LiveServer

pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
from playwright.sync_api import Browser, expect

from tests.e2e.browser_support import needs_chromium, watch_console

pytestmark = [pytest.mark.e2e, needs_chromium]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "mcp-project"
    root.mkdir()
    (root / ".mcp.json").write_text(json.dumps({"mcpServers": {"proj": stdio_entry("proj")}}))
    (root / "AGENTS.md").write_text("Use make test.\n")
    return root


@pytest.fixture
def server_env(home_env: dict[str, str]) -> dict[str, str]:
    return home_env  # no model provider: the settings page needs none


def test_the_owner_approves_a_project_mcp_server_from_settings_and_it_starts(
    browser: Browser, server: LiveServer
) -> None:
    page = browser.new_page()
    problems = watch_console(page)
    page.goto(server.launch_url)
    page.locator("#settings-link").click()
    page.wait_for_url(f"{server.base_url}/settings")

    row = page.locator("#mcp-proj")
    expect(row.locator(".mcp-state")).to_have_text("waiting for approval")
    expect(row).to_contain_text(".mcp.json")
    expect(page.locator("#instructions")).to_contain_text("AGENTS.md")

    row.get_by_role("button", name="Approve proj").click()
    expect(page.locator("#mcp-servers .settings-notice")).to_contain_text("Approved proj")
    expect(page.locator("#mcp-proj .mcp-state")).to_have_text("running", timeout=20_000)
    expect(page.locator("#mcp-proj .mcp-tools")).to_have_text("6")
    expect(page.locator("#mcp-proj .mcp-approval")).to_contain_text("approved")
    assert problems == []
