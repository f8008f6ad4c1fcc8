"""The page in a real browser: Debian's Chromium driven by Playwright against `codesm web`."""

from __future__ import annotations

import pytest

from tests.web_live_server import LiveServer

pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
from playwright.sync_api import Browser, expect

from tests.e2e.browser_support import needs_chromium, screenshot, watched_page

pytestmark = [pytest.mark.e2e, needs_chromium]


@pytest.fixture
def server_env(home_env: dict[str, str]) -> dict[str, str]:
    return home_env  # no model provider


def test_the_launch_url_opens_the_page_drops_the_token_and_runs_htmx_under_the_csp(
    browser: Browser, server: LiveServer
) -> None:
    page, console = watched_page(browser, width=1280, height=800)

    page.goto(server.launch_url)

    assert page.url == f"{server.base_url}/"
    assert "token" not in page.url
    expect(page.get_by_role("heading", name="What should we build?")).to_be_visible()
    assert str(page.evaluate("htmx.version")).startswith("2.")
    assert page.evaluate("document.cookie") == ""  # HttpOnly: scripts cannot read it
    assert console == []  # no CSP violation, script error or failed load

    # The listener does see violations: an inline handler is refused and reported.
    page.evaluate("""document.body.insertAdjacentHTML(
        "beforeend", '<img src="/static/favicon.svg" onload="document.title = 1">')""")
    page.wait_for_timeout(300)
    assert any("Content Security Policy" in line for line in console), console
    assert page.title() != "1"


def test_without_a_provider_the_page_says_how_to_connect_one(
    browser: Browser, server: LiveServer
) -> None:
    page, console = watched_page(browser, width=1280, height=800)
    page.goto(server.launch_url)
    expect(page.locator("#provider-notice")).to_contain_text("ANTHROPIC_API_KEY")
    page.get_by_role("button", name="+ New session").click()
    page.wait_for_url(f"{server.base_url}/s/*")
    expect(page.locator("#connection-state")).to_have_text("connected")
    prompt = page.get_by_label("Message")
    prompt.fill("hello?")
    prompt.press("Enter")
    expect(page.locator("#flash")).to_contain_text("Connect a model provider to chat.")
    screenshot(page, "web-no-provider")
    assert console == []
