"""Presence: the owner's Shares panel says who is connected through each link (their name or
"guest N", role, address, since when), the owner's own tabs apart, and keeps it live."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from codesm.web.presence import MAX_REMEMBERED, NAME_CHARS, Presence, clean_name
from codesm.web.roles import Principal, Role
from tests.unit.share_support import LAN, PORT, ShareApp, frame, guest_headers, share_app

WS_LAN = f"ws://{LAN}:{PORT}"
HOSTILE_NAME = '<img src=x onerror=alert(1)>"\x00\u202e' + "A" * 100


@pytest.fixture
def web(tmp_path: Path) -> Iterator[ShareApp]:
    workspace = tmp_path / "project"
    workspace.mkdir()
    with share_app(workspace, tmp_path / "codesm.db") as app:
        yield app


def next_link_list(ws: Any, *, containing: str = "") -> str:
    """The next live `#share-links` fragment pushed to an owner socket (that has `containing`)."""
    for _ in range(50):
        text = str(ws.receive_text())
        found = re.search(r'<div id="share-links".*?hx-swap-oob="outerHTML">.*', text, re.S)
        if found and containing in found.group(0):
            return found.group(0)
    raise AssertionError("no presence update")


def guest_with_browser(token: str, browser: str) -> dict[str, str]:
    headers = guest_headers(token)
    headers["cookie"] += f"; codesm_guest_{PORT}={browser}"
    return headers


def test_the_panel_lists_each_guest_under_its_link_and_the_owner_tab_live(web: ShareApp) -> None:
    sid = web.new_session()
    tokens = web.share(sid)
    with web.owner_socket(sid) as owner:
        owner.receive_text()
        mine = next_link_list(owner, containing="this tab")
        assert "you (owner)" in mine and "Your own tabs" in mine
        viewer = guest_with_browser(tokens["viewer"], "a" * 24)
        with web.client.websocket_connect(f"{WS_LAN}/ws/s/{sid}", headers=viewer) as guest:
            guest.receive_text()
            listed = next_link_list(owner, containing="guest 1")
            assert re.search(
                r"guest 1</span>\s*<span class=\"muted\">viewer · testclient · since \d\d:\d\d",
                listed,
            )
            controller = guest_with_browser(tokens["controller"], "b" * 24)
            with web.client.websocket_connect(f"{WS_LAN}/ws/s/{sid}", headers=controller) as other:
                other.receive_text()
                both = next_link_list(owner, containing="guest 2")
                assert "controller · testclient" in both
                viewer_item, controller_item = re.findall(
                    r'<li class="share-link".*?</ul>', both, re.S
                )[:2]
                assert "guest 1" in viewer_item and "guest 2" in controller_item
            assert "guest 2" not in next_link_list(owner, containing="guest 1")
        panel = web.client.get(f"/shares?session={sid}", headers=web.owner_headers()).text
        assert "guest 1" not in panel and "you (owner)" in panel


def test_a_guest_names_itself_and_the_name_is_cleaned_escaped_and_kept_across_reloads(
    web: ShareApp,
) -> None:
    sid = web.new_session()
    token = web.share(sid)["viewer"]
    browser = "c" * 24
    viewer = guest_with_browser(token, browser)
    page = web.client.get(f"/s/{sid}", headers=viewer).text
    assert (
        'name="type" value="guest_name"' in page
        and 'aria-label="Your name, shown to the owner"' in page
    )
    with web.owner_socket(sid) as owner:
        owner.receive_text()
        with web.client.websocket_connect(f"{WS_LAN}/ws/s/{sid}", headers=viewer) as guest:
            guest.receive_text()
            next_link_list(owner, containing="guest 1")
            guest.send_text(frame(viewer["x-csrf-token"], type="guest_name", name=HOSTILE_NAME))
            listed = next_link_list(owner, containing="&lt;img")
        name = re.search(r'<span class="presence-name" hx-disable>(.*?)</span>', listed, re.S)
        assert name is not None
        shown = name.group(1)
        assert "<img" not in listed and "onerror=alert(1)&gt;" in shown
        assert "\x00" not in shown and "\u202e" not in shown
        assert len(clean_name(HOSTILE_NAME)) == NAME_CHARS
    again = web.client.get(f"/s/{sid}", headers=viewer).text
    assert 'value="&lt;img src=x onerror=alert(1)&gt;&#34;' in again
    stranger = web.client.get(f"/s/{sid}", headers=guest_with_browser(token, "d" * 24)).text
    assert "onerror" not in stranger


def test_trading_a_share_link_gives_the_browser_a_presence_cookie_it_keeps(web: ShareApp) -> None:
    sid = web.new_session()
    token = web.share(sid)["viewer"]
    lan = {"host": f"{LAN}:{PORT}"}
    first = web.client.get(f"/s/{sid}?share={token}", headers=lan)
    cookies = first.headers.get_list("set-cookie")
    guest = next(c for c in cookies if c.startswith(f"codesm_guest_{PORT}="))
    browser = guest.split(";")[0].split("=")[1]
    assert re.fullmatch(r"[0-9a-f]{24}", browser) and "HttpOnly" in guest
    again = web.client.get(
        f"/s/{sid}?share={token}", headers={**lan, "cookie": f"codesm_guest_{PORT}={browser}"}
    )
    assert f"codesm_guest_{PORT}={browser};" in ";".join(again.headers.get_list("set-cookie"))


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("  Ana  María ", "Ana María"),
        ("tab\tand\nnewline", "tab and newline"),
        ("bidi\u202eevil\u200b", "bidievil"),
        (None, ""),
        (42, ""),
        ("x" * 500, "x" * NAME_CHARS),
    ],
)
def test_guest_names_are_cleaned_before_they_are_kept(raw: object, kept: str) -> None:
    assert clean_name(raw) == kept


def test_a_guest_inventing_browser_ids_cannot_grow_what_presence_remembers() -> None:
    """Each well-formed browser id a guest sends would otherwise be kept for the server's life."""
    presence = Presence()
    guest = Principal(Role.VIEWER, session_id="s1", link_id="l1")
    staying = presence.join("s1", guest, address="10.0.0.9", guest_id="a" * 24)
    presence.name(staying, "Ana")
    for n in range(MAX_REMEMBERED * 3):
        visitor = presence.join("s1", guest, address="10.0.0.9", guest_id=f"{n:024x}")
        presence.name(visitor, f"name {n}")
        presence.leave(visitor)
    assert len(presence._numbers["s1"]) <= MAX_REMEMBERED + 1
    assert len(presence._names) <= MAX_REMEMBERED + 1
    # The guest still connected keeps its number and name; a new browser gets a fresh number.
    assert [v.label for v in presence.visitors("s1")] == ["Ana"]
    newcomer = presence.join("s1", guest, address="10.0.0.8", guest_id="b" * 24)
    assert newcomer.label == f"guest {MAX_REMEMBERED * 3 + 2}"
