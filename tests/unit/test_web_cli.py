"""`codesm web` from the command line: refusals, and the real server started and stopped."""

from __future__ import annotations

import asyncio
import io
import re
import time
from pathlib import Path

import httpx
import pytest
import segno
from click.testing import CliRunner
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Origin

from codesm.agent.events import StoredEvent
from codesm.cli import main
from codesm.store import Store
from codesm.web.lan import QR_HEADING, qr_lines
from codesm.web.server import ShareOptions, loopback_bind_address
from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn
from tests.web_live_server import live_server


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "example.com", "127.0.0.2"])
def test_a_non_loopback_host_exits_non_zero_and_mentions_share(tmp_path: Path, host: str) -> None:
    result = CliRunner().invoke(main, ["web", str(tmp_path), "--no-open", "--host", host])
    assert result.exit_code != 0
    assert "127.0.0.1" in result.output
    if host != "127.0.0.2":
        assert "--share" in result.output


@pytest.mark.parametrize(
    ("host", "bind"),
    [("127.0.0.1", "127.0.0.1"), ("localhost", "127.0.0.1"), ("::1", "::1"), ("[::1]", "::1")],
)
def test_loopback_hosts_are_accepted(host: str, bind: str) -> None:
    assert loopback_bind_address(host) == bind


def test_a_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["web", str(tmp_path / "nope"), "--no-open"])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_a_file_is_not_a_workspace(tmp_path: Path) -> None:
    file = tmp_path / "f.txt"
    file.write_text("x")
    result = CliRunner().invoke(main, ["web", str(file), "--no-open"])
    assert result.exit_code == 2
    assert "is a file" in result.output


def test_the_real_server_serves_the_page_and_socket_then_stops_on_ctrl_c(tmp_path: Path) -> None:
    with live_server(tmp_path) as server:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/\?token=[A-Za-z0-9_-]{43}", server.launch_url)
        assert str(tmp_path) in server.banner[1]
        assert "this machine only" in server.banner[2]
        with httpx.Client(base_url=server.base_url, follow_redirects=False) as http:
            assert http.get("/healthz").text == "ok"
            assert http.get("/").status_code == 401
            exchange = http.get(f"/?token={server.token}")
            assert exchange.status_code == 303 and exchange.headers["location"] == "/"
            page = http.get("/")
            assert page.status_code == 200 and 'hx-post="/sessions"' in page.text
            cookie = f"codesm_owner_{server.port}={http.cookies[f'codesm_owner_{server.port}']}"
            csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
            assert csrf is not None
            created = http.post(
                "/sessions",
                headers={"x-csrf-token": csrf.group(1), "origin": server.base_url},
            )
            assert created.status_code == 303
            session_path = created.headers["location"]

        ws_url = f"ws://127.0.0.1:{server.port}/ws{session_path}"
        with pytest.raises(InvalidStatus) as refused:
            connect(
                ws_url, origin=Origin("http://evil.example"), additional_headers={"Cookie": cookie}
            )
        assert refused.value.response.status_code == 403

        with connect(
            ws_url, origin=Origin(server.base_url), additional_headers={"Cookie": cookie}
        ) as ws:
            assert "connected" in str(ws.recv(timeout=5))
            status, out, err = server.interrupt(timeout=8)

    assert status == 0, err
    assert "codesm web: stopped" in out
    assert "Traceback" not in err


def test_the_workspace_defaults_to_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[Path, dict[str, object]]] = []

    def fake_serve(workspace: Path, **options: object) -> int:
        calls.append((workspace, options))
        return 0

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("codesm.web.server.serve", fake_serve)
    result = CliRunner().invoke(main, ["web", "--no-open", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert calls == [
        (
            tmp_path,
            {
                "host": "127.0.0.1",
                "port": 8123,
                "open_browser": False,
                "sharing": ShareOptions(),
                "mcp_config": None,
                "strict_mcp_config": False,
                "notifications": None,
                "max_budget_usd": None,
            },
        )
    ]


def test_a_pinned_token_that_is_too_short_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODESM_WEB_TOKEN", "short")
    result = CliRunner().invoke(main, ["web", str(tmp_path), "--no-open"])
    assert result.exit_code == 1
    assert "CODESM_WEB_TOKEN must be at least 32 characters" in result.output


def test_ctrl_c_during_a_turn_waiting_for_review_cancels_it_and_keeps_its_events(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    workspace = tmp_path / "project"
    workspace.mkdir()
    (workspace / "notes.txt").write_text("beta\n")
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("read", {"path": "notes.txt"}, id="r1")]),
        Turn(
            tool_calls=[
                ToolCallSpec(
                    "edit", {"path": "notes.txt", "old_string": "beta", "new_string": "B"}, id="e1"
                )
            ]
        ),
    )
    data = tmp_path / "data"
    env = {
        "XDG_DATA_HOME": str(data),
        "ANTHROPIC_API_KEY": "sk-ant-test",
        "ANTHROPIC_BASE_URL": scripted_llm.base_url,
    }
    with live_server(workspace, env_overrides=env) as server:
        with httpx.Client(base_url=server.base_url, follow_redirects=False) as http:
            page = http.get(f"/?token={server.token}", follow_redirects=True).text
            csrf = re.search(r'name="csrf-token" content="([^"]+)"', page)
            assert csrf is not None
            created = http.post(
                "/sessions",
                headers={"x-csrf-token": csrf.group(1), "origin": server.base_url},
                data={"prompt": "rename beta"},
            )
            session_path = created.headers["location"]
            deadline = time.monotonic() + 15
            while "Accept change" not in http.get(session_path).text:
                assert time.monotonic() < deadline, "the edit never asked for review"
                time.sleep(0.1)
        status, _out, err = server.interrupt(timeout=15)

    assert status == 0, err
    assert "Traceback" not in err
    assert (workspace / "notes.txt").read_text() == "beta\n"
    events = asyncio.run(stored_events(data / "codesm" / "codesm.db", session_path[3:]))
    finished = [e.event for e in events if e.event.type == "turn_finished"]
    assert [f.status for f in finished] == ["cancelled"]  # type: ignore[union-attr]
    assert "approval_decided" in [e.event.type for e in events]


async def stored_events(db_path: Path, session_id: str) -> list[StoredEvent]:
    async with await Store.open(db_path) as store:
        return await store.events_after(session_id)


def test_share_binds_the_stand_in_lan_address_prints_the_exposure_and_advertises_the_link(
    tmp_path: Path,
) -> None:
    from codesm.threads.share import running_share_servers

    lan = "127.0.0.2"  # loopback standing in for a LAN address: tests never leave 127/8
    with live_server(tmp_path, "--share", "--share-host", lan, "--share-ttl", "1") as server:
        assert server.banner[2].startswith(f"  listening on 127.0.0.1 and {lan} (your LAN)")
        assert server.process.stdout is not None
        lines = [server.process.stdout.readline() for _ in range(3)]
        assert "sharing on the LAN" in lines[0] and "(1.0 h)" in lines[0]
        assert "exposed: session" in lines[1] and "owner token" in lines[1]
        viewer = lines[2].split("viewer link (read-only): ")[1].strip()
        assert viewer.startswith(f"http://{lan}:{server.port}/s/") and "?share=" in viewer
        assert server.process.stdout.readline().rstrip("\n") == QR_HEADING
        qr = [server.process.stdout.readline().rstrip("\n") for _ in qr_lines(viewer)]
        assert qr == qr_lines(viewer) == segno_compact_rows(viewer)
        (advert,) = running_share_servers()
        session_id = viewer.split("/s/")[1].split("?")[0]
        assert advert.link(session_id) == viewer
        with httpx.Client(follow_redirects=True) as guest:
            page = guest.get(viewer)
            assert page.status_code == 200 and str(page.url) == viewer.split("?")[0]
            assert 'id="composer"' not in page.text
            assert guest.get(f"http://{lan}:{server.port}/").status_code == 403
        with httpx.Client() as stranger:
            assert stranger.get(f"http://{lan}:{server.port}/").status_code == 401
        status, _, _ = server.interrupt()
    assert status == 0
    assert running_share_servers() == []


def test_share_controller_needs_share(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["web", str(tmp_path), "--no-open", "--share-controller"])
    assert result.exit_code != 0 and "--share" in result.output


def test_share_host_must_be_an_ipv4_address(tmp_path: Path) -> None:
    for bad in ("example.com", "::1", "0.0.0.0"):
        result = CliRunner().invoke(main, ["web", str(tmp_path), "--share", "--share-host", bad])
        assert result.exit_code == 2, bad


def segno_compact_rows(url: str) -> list[str]:
    out = io.StringIO()
    segno.make(url).terminal(out=out, compact=True)
    return out.getvalue().rstrip("\n").split("\n")


def test_the_qr_code_is_segnos_rendering_of_the_viewer_url_in_block_characters() -> None:
    url = "http://192.168.1.20:8123/s/abc?share=" + "x" * 43
    rows = qr_lines(url, "utf-8")
    assert rows == segno_compact_rows(url) and len(rows) > 10
    assert qr_lines("http://192.168.1.20:8123/s/other") != rows


def test_a_terminal_without_block_characters_gets_the_same_qr_code_drawn_with_hashes() -> None:
    url = "http://192.168.1.20:8123/s/abc?share=token"
    rows = qr_lines(url, "ascii")
    matrix = list(segno.make(url).matrix_iter(border=2))
    assert len(rows) == len(matrix)
    assert all(set(row) <= {"#", " "} for row in rows)
    assert rows[2][4:6] == "  "  # the finder pattern's dark corner module
