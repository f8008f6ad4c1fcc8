"""Sharing in real browsers: the owner presses Share, a second browser opens the viewer link on
the LAN address (127.0.0.2 stands in: tests stay on loopback), watches the answer stream in with
no way to act, and loses the session the moment the owner revokes the link. A third browser opens
the controller link, sends a prompt the owner sees answered, and is cut off by Revoke too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.scripted_llm import ScriptedLLMServer, Turn
from tests.web_live_server import LiveServer, live_server

pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
from playwright.sync_api import Browser, expect

from tests.e2e.browser_support import (
    needs_chromium,
    open_new_session,
    screenshot,
    send,
    watched_page,
)

pytestmark = [pytest.mark.e2e, needs_chromium]
LAN = "127.0.0.2"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "shared-project"
    root.mkdir()
    return root


@pytest.fixture
def server(workspace: Path, server_env: dict[str, str]) -> Iterator[LiveServer]:
    with live_server(workspace, "--share-host", LAN, env_overrides=server_env) as running:
        yield running


def test_a_viewer_watches_a_controller_acts_and_revoking_their_links_cuts_both(
    browser: Browser, server: LiveServer, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(text="Streaming to everyone who watches this session.", delta_size=3),
        Turn(text="Shared session"),
        Turn(text="Answered the controller's question.", delta_size=4),
    )
    owner, owner_problems = open_new_session(browser, server)

    owner.locator("#share-menu summary").click()
    expect(owner.locator(".share-warning")).to_contain_text("this session only")
    expect(owner.locator(".share-preview")).to_contain_text("What a viewer will see")
    expect(owner.locator(".share-visibility")).to_contain_text("Visibility: private")
    owner.get_by_label("Also make a controller link").check()
    owner.get_by_role("button", name="Start sharing this session").click()
    expect(owner.locator(".share-visibility")).to_contain_text("Visibility: workspace")
    viewer_url = owner.get_by_role("textbox", name="Viewer link").input_value()
    controller_url = owner.get_by_role("textbox", name="Controller link").input_value()
    for url in (viewer_url, controller_url):
        assert url.startswith(f"http://{LAN}:{server.port}/s/") and "share=" in url
    assert viewer_url != controller_url
    expect(owner.locator(".share-link")).to_have_count(2)

    viewer, viewer_problems = watched_page(browser, width=1280, height=800)
    viewer.goto(viewer_url)
    assert "share=" not in viewer.url
    expect(viewer.locator("#connection-state")).to_have_text("connected")
    expect(viewer.locator("#composer")).to_have_count(0)
    expect(viewer.locator(".guest-badge")).to_contain_text("read-only")

    # Presence: the owner's open panel lists the viewer live, then the name the viewer picks
    # (shown as text, never markup), and marks the owner's own tab.
    presence = owner.locator("#share-links")
    expect(presence.locator(".presence-owner")).to_contain_text("this tab")
    viewer_row = presence.locator(".share-link").first.locator(".presence-row")
    expect(viewer_row.locator(".presence-name")).to_have_text("guest 1")
    expect(viewer_row).to_contain_text("viewer · 127.0.0.")
    viewer.get_by_label("Your name, shown to the owner").fill("Ana <b>bold</b>")
    viewer.get_by_role("button", name="Set name").click()
    expect(viewer_row.locator(".presence-name")).to_have_text("Ana <b>bold</b>")
    expect(viewer.get_by_label("Your name, shown to the owner")).to_have_value("Ana <b>bold</b>")

    owner.locator("#share-menu summary").click()
    send(owner, "Tell the room")
    expect(viewer.locator(".msg-user")).to_have_text("Tell the room")
    expect(viewer.locator(".msg-assistant .md").last).to_have_text(
        "Streaming to everyone who watches this session."
    )
    expect(viewer.locator("#codepane")).to_have_count(0)
    screenshot(viewer, "web-share-viewer")

    controller, controller_problems = watched_page(browser, width=1280, height=800)
    controller.goto(controller_url)
    assert "share=" not in controller.url
    expect(controller.locator("#connection-state")).to_have_text("connected")
    expect(controller.locator(".guest-badge")).to_contain_text("controller")
    expect(controller.locator("#share-menu")).to_have_count(0)
    send(controller, "Controller here: what changed?")
    for page in (owner, viewer, controller):
        expect(page.locator(".msg-user").last).to_have_text("Controller here: what changed?")
        expect(page.locator(".msg-assistant .md").last).to_have_text(
            "Answered the controller's question."
        )
    assert owner_problems == [] and viewer_problems == [] and controller_problems == []

    owner.locator("#share-menu summary").click()
    controller_row = owner.locator(".share-link").nth(1).locator(".presence-row")
    expect(controller_row.locator(".presence-name")).to_have_text("guest 2")
    expect(controller_row).to_contain_text("controller")
    revoke = owner.locator(".share-link").get_by_role("button", name="Revoke")
    expect(revoke).to_have_count(2)
    # Wait for the revoke's own answer (it replaces the whole panel): the live link list can
    # arrive first over the socket, and a click on the panel about to be replaced is lost.
    with owner.expect_response(lambda response: "/revoke" in response.url):
        revoke.first.click()
    expect(owner.locator(".share-link")).to_have_count(1)
    # Making the session private again ends the link that is left.
    owner.get_by_role("button", name="Make private").click()
    expect(owner.locator(".share-link")).to_have_count(0)
    expect(owner.locator(".share-visibility")).to_contain_text("Visibility: private")
    for page in (viewer, controller):
        expect(page.locator("#connection-state")).not_to_have_text("connected", timeout=3000)
    assert viewer.request.get(viewer_url.split("?")[0]).status == 403
    assert controller.request.get(controller_url.split("?")[0]).status == 403
