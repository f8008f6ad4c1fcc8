"""The settings page in a real browser: Chromium driving a real `codesm web` whose project has an
unapproved MCP server (the real stdio test server). The owner opens Settings from the session
page, sees the server waiting for approval, approves it, and watches it come up with its tools;
the instruction file in effect is listed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.mcp_servers import stdio_entry
from tests.web_live_server import LiveServer, live_server

pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
from playwright.sync_api import Browser, expect

from tests.e2e.browser_support import chromium, needs_chromium, watch_console

pytestmark = [pytest.mark.e2e, needs_chromium]


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    workspace = tmp_path / "mcp-project"
    workspace.mkdir()
    (workspace / ".mcp.json").write_text(json.dumps({"mcpServers": {"proj": stdio_entry("proj")}}))
    (workspace / "AGENTS.md").write_text("Use make test.\n")
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_CACHE_HOME": str(home / ".cache"),
    }
    with live_server(workspace, env_overrides=env) as running:
        yield running


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
