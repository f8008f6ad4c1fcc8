"""Playwright with Debian's Chromium, a console watcher that records every problem, and the
steps every browser test takes: a watched page, the owner's new session, a sent prompt."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Error,
    Page,
    Response,
    expect,
    sync_playwright,
)

from tests.web_live_server import LiveServer

CHROMIUM = "/usr/bin/chromium" if shutil.which("chromium") else None
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).parent / "screenshots"

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="Debian's chromium is not installed (scripts/test installs it; in CI a missing "
    "browser fails these tests instead of skipping them)",
)


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def watch_console(page: Page) -> list[str]:
    """Console errors and warnings, page errors and failed loads, as they happen."""
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            problems.append(f"{message.type}: {message.text}")

    def on_page_error(error: Error) -> None:
        problems.append(f"pageerror: {error}")

    def on_response(response: Response) -> None:
        if response.status >= 400:
            problems.append(f"{response.status}: {response.url}")

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    page.on("response", on_response)
    return problems


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def watched_page(
    browser: Browser, *, width: int = 1440, height: int = 900, **context_options: Any
) -> tuple[Page, list[str]]:
    """A page in a fresh browser context (its own cookies, so its own user), with every console
    problem recorded from the start."""
    context = browser.new_context(viewport={"width": width, "height": height}, **context_options)
    page = context.new_page()
    return page, watch_console(page)


def start_new_session(page: Page, server: LiveServer) -> None:
    """What the owner does first: open the launch URL (which trades the token for the owner
    cookie), press "+ New session", and wait until the session's WebSocket is connected."""
    page.goto(server.launch_url)
    page.get_by_role("button", name="+ New session").click()
    page.wait_for_url(f"{server.base_url}/s/*")
    expect(page.locator("#connection-state")).to_have_text("connected")


def open_new_session(
    browser: Browser, server: LiveServer, *, width: int = 1440, height: int = 900
) -> tuple[Page, list[str]]:
    """A watched page of the owner's, on a new session with its socket connected."""
    page, problems = watched_page(browser, width=width, height=height)
    start_new_session(page, server)
    return page, problems


def send(page: Page, text: str) -> None:
    """Type into the composer and press Enter, as a user sends a prompt or a command."""
    prompt = page.get_by_label("Message")
    prompt.fill(text)
    prompt.press("Enter")
