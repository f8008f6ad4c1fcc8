"""Share links outlive the server: a restarted server on the same store honours unexpired links,
keeps revocations, refuses and purges expired links, and never stores a token, only its hash."""

from __future__ import annotations

import hashlib
import os
import queue
import socket
import sqlite3
import subprocess
import threading
import time
from contextlib import AbstractContextManager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.testclient import WebSocketDenialResponse

from codesm.store import ShareLinkRow
from codesm.web.roles import Role
from tests.unit.share_support import LAN, PORT, ShareApp, guest_headers, share_app
from tests.web_live_server import live_server

WS_LAN = f"ws://{LAN}:{PORT}"


def lifecycle(tmp_path: Path) -> AbstractContextManager[ShareApp]:
    """A fresh server (its lifespan run through) on the store every lifecycle of a test shares."""
    workspace = tmp_path / "project"
    workspace.mkdir(exist_ok=True)
    return share_app(workspace, tmp_path / "codesm.db")


def start_sharing(web: ShareApp) -> None:
    """Turn LAN sharing on (as the Share button does) so the LAN name is served."""
    web.share(web.new_session(), controller=False)


def test_a_restarted_server_honours_a_link_and_keeps_its_revocation(tmp_path: Path) -> None:
    with lifecycle(tmp_path) as first:
        sid = first.new_session()
        tokens = first.share(sid)
    viewer, controller = guest_headers(tokens["viewer"]), guest_headers(tokens["controller"])

    with lifecycle(tmp_path) as second:
        start_sharing(second)
        assert second.client.get(f"/s/{sid}", headers=viewer).status_code == 200
        with second.client.websocket_connect(f"{WS_LAN}/ws/s/{sid}", headers=viewer) as ws:
            assert "connected" in ws.receive_text()
        panel = second.client.get(f"/shares?session={sid}", headers=second.owner_headers()).text
        assert panel.count("Revoke") == 2
        (link,) = [lk for lk in second.ctx.shares.live_links(sid) if lk.role is Role.CONTROLLER]
        revoked = second.client.post(f"/shares/{link.id}/revoke", headers=second.owner_headers())
        assert revoked.status_code == 200

    with lifecycle(tmp_path) as third:
        start_sharing(third)
        assert third.client.get(f"/s/{sid}", headers=viewer).status_code == 200
        assert third.client.get(f"/s/{sid}", headers=controller).status_code == 403
        with (
            pytest.raises(WebSocketDenialResponse),
            third.client.websocket_connect(f"{WS_LAN}/ws/s/{sid}", headers=controller),
        ):
            pass


def test_a_link_that_expired_while_the_server_was_down_is_refused_and_purged(
    tmp_path: Path,
) -> None:
    with lifecycle(tmp_path) as first:
        sid = first.new_session()
        token = first.share(sid, controller=False)["viewer"]
        (link,) = first.ctx.shares.live_links(sid)
        old = ShareLinkRow("expired01", sid, "viewer", hashlib.sha256(b"old").digest(), 1.0, 2.0)
        first.portal.call(first.ctx.runtime.store.share_links.add, old)
    # The clock moves on while the server is down: the link's expiry is now in the past.
    with sqlite3.connect(tmp_path / "codesm.db") as db:
        db.execute("UPDATE share_links SET expires_at = ? WHERE id = ?", (time.time() - 1, link.id))

    with lifecycle(tmp_path) as second:
        start_sharing(second)
        assert second.client.get(f"/s/{sid}", headers=guest_headers(token)).status_code == 403
        assert second.client.get(f"/s/{sid}?share={token}").status_code == 403
        rows = second.portal.call(second.ctx.runtime.store.share_links.all)
        assert {row.id for row in rows}.isdisjoint({link.id, "expired01"})


def test_only_a_hash_of_each_token_is_stored(tmp_path: Path) -> None:
    with lifecycle(tmp_path) as web:
        sid = web.new_session()
        tokens = web.share(sid)
        rows = web.portal.call(web.ctx.runtime.store.share_links.all)
    assert sorted(row.token_sha256 for row in rows) == sorted(
        hashlib.sha256(t.encode()).digest() for t in tokens.values()
    )
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("codesm.db*"))
    for token in tokens.values():
        assert token.encode() not in stored


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def viewer_link(process: subprocess.Popen[str]) -> str:
    """The viewer link `codesm web --share` prints after its banner."""
    assert process.stdout is not None
    stdout = process.stdout
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in stdout], daemon=True).start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        if "viewer link" in line:
            return line.split(": ", 1)[1].strip()
    raise AssertionError("codesm web --share printed no viewer link")


def test_a_restarted_codesm_web_share_honours_the_link_it_printed_before(tmp_path: Path) -> None:
    workspace = tmp_path / "project"
    workspace.mkdir()
    home = tmp_path / "home"
    env = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "ANTHROPIC_API_KEY": "",
    }
    port = str(free_port())
    args = ("--share", "--share-host", LAN, "--port", port)
    with live_server(workspace, *args, env_overrides=env) as first:
        link = viewer_link(first.process)
        first.interrupt()
    parts = urlsplit(link)
    token = parse_qs(parts.query)["share"][0]
    assert parts.netloc == f"{LAN}:{port}"
    with live_server(workspace, *args, env_overrides=env) as second:
        viewer_link(second.process)  # the new server's own link; the old one must still work
        with httpx.Client(base_url=f"http://{parts.netloc}") as browser:
            traded = browser.get(f"{parts.path}?share={token}")
            assert traded.status_code == 303
            page = browser.get(parts.path)
            assert page.status_code == 200 and "shared · read-only" in page.text
        second.interrupt()
    assert os.path.exists(home / ".local" / "share" / "codesm")
