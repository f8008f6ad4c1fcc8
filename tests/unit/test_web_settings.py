"""The settings page through the real app: MCP servers with their source, approval and state (a
real stdio test server), Approve pinned to the config hash the page showed, and the instruction
files and skills in effect, with warnings for malformed skills."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from starlette.testclient import TestClient

from codesm.mcp.approvals import approvals_path
from codesm.mcp.config import load_mcp_config
from codesm.web.app import create_app
from codesm.web.auth import OwnerAuth, new_owner_token
from codesm.web.config import WebConfig
from tests.support.mcp_servers import stdio_entry
from tests.unit.web_support import BASE, PORT, WebApp

HOSTILE = "<img src=x onerror=alert(1)>"


@contextmanager
def settings_client(
    workspace: Path, db_path: Path, *, mcp_config: str | None = None
) -> Iterator[tuple[TestClient, WebApp]]:
    """The app with the production runtime opener, so `--mcp-config` reaches it as in `codesm
    web`."""
    token = new_owner_token()
    config = WebConfig(
        workspace=workspace, port=PORT, owner_token=token, db_path=db_path, mcp_config=mcp_config
    )
    web = WebApp(create_app(config), OwnerAuth.from_token(token, port=PORT), workspace)
    with TestClient(web.app, base_url=BASE, follow_redirects=False) as client:
        yield client, web


def wait_for_state(client: TestClient, web: WebApp, name: str, state: str) -> str:
    for _ in range(300):
        html = client.get("/settings/mcp", headers=web.cookie).text
        if f'id="mcp-{name}" data-state="{state}"' in html:
            return html
        time.sleep(0.05)
    raise AssertionError(f"{name} never reached {state}: {html}")


def test_a_project_server_waits_for_approval_and_approve_starts_it(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / ".mcp.json").write_text(json.dumps({"mcpServers": {"proj": stdio_entry("proj")}}))
    with settings_client(workspace, tmp_path / "db.sqlite") as (client, web):
        page = client.get("/settings", headers=web.cookie)
        assert page.status_code == 200
        assert 'id="mcp-proj" data-state="waiting-for-approval"' in page.text
        assert ".mcp.json" in page.text and 'hx-post="/settings/mcp/proj/approve"' in page.text
        pin = load_mcp_config(workspace).servers["proj"].pin()
        assert f'name="pin" value="{pin}"' in page.text

        stale = client.post(
            "/settings/mcp/proj/approve", headers=web.write_headers(), data={"pin": "0" * 64}
        )
        assert stale.status_code == 200 and "not the one shown" in stale.text
        assert "waiting-for-approval" in stale.text and not approvals_path().exists()

        approved = client.post(
            "/settings/mcp/proj/approve", headers=web.write_headers(), data={"pin": pin}
        )
        assert approved.status_code == 200 and "Approved proj" in approved.text
        saved = json.loads(approvals_path().read_text())
        assert saved[str(workspace.resolve())]["proj"] == pin
        html = wait_for_state(client, web, "proj", "running")
        row = html.split('id="mcp-proj"', 1)[1].split("</tr>", 1)[0]
        assert "approved" in row and '<td class="num mcp-tools">6</td>' in row


def test_mcp_config_servers_run_and_a_crashed_one_shows_its_error_escaped(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    servers = {
        "cli": stdio_entry("cli"),
        "broken": {"command": f"/nonexistent/{HOSTILE}"},
    }
    with settings_client(
        workspace, tmp_path / "db.sqlite", mcp_config=json.dumps({"mcpServers": servers})
    ) as (client, web):
        wait_for_state(client, web, "cli", "running")
        html = wait_for_state(client, web, "broken", "crashed")
        assert "--mcp-config" in html and "yours" in html
        assert HOSTILE not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
        assert "No such file or directory" in html


def test_the_instruction_files_and_skills_in_effect_are_listed_with_warnings(
    tmp_path: Path,
) -> None:
    workspace = tmp_path / "ws"
    (workspace / ".codesm" / "skills" / "deploy").mkdir(parents=True)
    (workspace / "AGENTS.md").write_text("Run the tests with make test.\n")
    (workspace / ".codesm" / "skills" / "deploy" / "SKILL.md").write_text(
        "---\nname: deploy\ndescription: Ship a release <b>safely</b>\n---\nSteps.\n"
    )
    (workspace / ".codesm" / "skills" / "broken").mkdir()
    (workspace / ".codesm" / "skills" / "broken" / "SKILL.md").write_text("no front matter\n")
    with settings_client(workspace, tmp_path / "db.sqlite") as (client, web):
        page = client.get("/settings", headers=web.cookie).text
    section = page.split('id="instructions"', 1)[1]
    assert str(workspace / "AGENTS.md") in section
    assert "deploy" in section and "Ship a release &lt;b&gt;safely&lt;/b&gt;" in section
    warnings = section.split("Warnings", 1)[1]
    assert "broken" in warnings
    assert "No MCP servers are configured" in page


def test_the_session_page_links_the_owner_to_settings(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    with settings_client(workspace, tmp_path / "db.sqlite") as (client, web):
        page = client.get("/", headers=web.cookie)
    assert 'id="settings-link" href="/settings"' in page.text
