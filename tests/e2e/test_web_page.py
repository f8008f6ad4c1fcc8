"""The page in a real browser: Debian's Chromium driven by Playwright against `codesm web`."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web_live_server import LiveServer, live_server

pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
from playwright.sync_api import Browser, ConsoleMessage, Error, Response, expect, sync_playwright

CHROMIUM = shutil.which("chromium") and "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).parent / "screenshots"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not CHROMIUM, reason="Debian's chromium is not installed (/usr/bin/chromium)"
    ),
]


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    workspace = tmp_path / "my-project"
    workspace.mkdir()
    with live_server(workspace) as running:
        yield running


def test_the_launch_url_opens_the_page_drops_the_token_and_runs_htmx_under_the_csp(
    browser: Browser, server: LiveServer
) -> None:
    page = browser.new_page()
    console: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        console.append(f"{message.type}: {message.text}")

    def on_page_error(error: Error) -> None:
        console.append(f"pageerror: {error}")

    def on_response(response: Response) -> None:
        if response.status >= 400:
            console.append(f"{response.status}: {response.url}")

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    page.on("response", on_response)

    page.goto(server.launch_url)

    assert page.url == f"{server.base_url}/"
    assert "token" not in page.url
    expect(page.get_by_role("heading", level=1)).to_have_text("The agent chat is not here yet")
    expect(page.locator("#connection-state")).to_have_text("connected")
    assert str(page.evaluate("htmx.version")).startswith("2.")
    assert page.evaluate("document.cookie") == ""  # HttpOnly: scripts cannot read it

    page.get_by_role("button", name="Ping the server").click()
    expect(page.locator("#ws-reply")).to_have_text("pong 1")

    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "web-first-page.png"), full_page=True)
    assert console == []  # no CSP violation, script error or failed load

    # The listener does see violations: an inline handler is refused and reported.
    page.evaluate("""document.body.insertAdjacentHTML(
        "beforeend", '<img src="/static/favicon.svg" onload="document.title = 1">')""")
    page.wait_for_timeout(300)
    assert any("Content Security Policy" in line for line in console), console
    assert page.title() != "1"
