"""The pages, the htmx setup and the Host parser, through Starlette's TestClient."""

from __future__ import annotations

import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from codesm.web.app import STATIC_DIR
from codesm.web.auth import OwnerAuth, new_owner_token
from codesm.web.commands import COMMANDS
from codesm.web.config import WebConfig
from codesm.web.hosts import ServedHosts, parse_authority
from tests.unit.web_support import WebApp, make_web_app, new_session

PORT = 8766
BASE = f"http://127.0.0.1:{PORT}"
TOKEN = new_owner_token()
AUTH = OwnerAuth.from_token(TOKEN, port=PORT)
COOKIE = {"cookie": f"{AUTH.cookie_name}={AUTH.cookie_value}"}
WS_HEADERS = {**COOKIE, "origin": BASE}
HOSTILE_NAME = '<img src=x onerror=alert(1)>"'
HTMX_CONFIG = {
    "selfRequestsOnly": True,
    "allowScriptTags": False,
    "allowEval": False,
    "includeIndicatorStyles": False,
}


class Tags(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    path = tmp_path / HOSTILE_NAME
    path.mkdir()
    return path


@pytest.fixture
def web(workspace: Path, tmp_path: Path) -> WebApp:
    return make_web_app(workspace, tmp_path / "codesm.db")


def test_with_no_session_yet_the_page_offers_a_composer_that_starts_one(
    client: TestClient, web: WebApp
) -> None:
    page = client.get("/", headers=web.cookie)
    assert page.status_code == 200
    assert 'hx-post="/sessions"' in page.text and "What should we build?" in page.text
    assert "&lt;img src=x onerror=alert(1)&gt;&#34;" in page.text
    assert HOSTILE_NAME not in page.text


def test_the_entry_page_redirects_to_the_newest_session(client: TestClient, web: WebApp) -> None:
    new_session(client, web)
    newest = new_session(client, web)
    response = client.get("/", headers=web.cookie)
    assert response.status_code == 303
    assert response.headers["location"] == f"/s/{newest}"


def test_a_session_page_has_the_three_panes_the_status_bar_and_its_socket(
    client: TestClient, web: WebApp
) -> None:
    sid = new_session(client, web)
    page = client.get(f"/s/{sid}", headers=web.cookie)
    assert page.status_code == 200
    for marker in (
        'id="sidebar"',
        'id="transcript"',
        'id="codepane"',
        'id="status-mode"',
        'id="status-permission"',
        'id="status-usage"',
        f'ws-connect="/ws/s/{sid}"',
    ):
        assert marker in page.text, marker  # fmt: skip
    assert f'id="session-{sid}"' in page.text


@pytest.mark.parametrize("session_id", ["a.b", "x" * 65, "%3Cscript%3E", "missing"])
def test_a_malformed_or_unknown_session_id_is_not_found(
    client: TestClient, web: WebApp, session_id: str
) -> None:
    assert client.get(f"/s/{session_id}", headers=web.cookie).status_code == 404


def test_htmx_is_configured_strictly_and_the_page_has_no_inline_code(
    client: TestClient, web: WebApp
) -> None:
    sid = new_session(client, web)
    tags = tags_of(client.get(f"/s/{sid}", headers=web.cookie).text)
    metas = {a.get("name"): a.get("content") for t, a in tags if t == "meta" and a.get("name")}
    assert json.loads(metas["htmx-config"] or "") == HTMX_CONFIG
    assert metas["csrf-token"] == web.auth.csrf_token
    scripts = [a for t, a in tags if t == "script"]
    assert [a["src"] for a in scripts] == [
        "/static/vendor/htmx.min.js",
        "/static/vendor/ws.min.js",
        "/static/js/app.js",
        "/static/js/composer.js",
        "/static/js/palette.js",
        "/static/js/review.js",
        "/static/js/tree.js",
        "/static/js/split.js",
        "/static/js/mermaid.js",
    ]
    assert not [a for t, a in tags if "style" in a or any(k.startswith("on") for k in a)]


def test_the_page_carries_a_command_palette_listing_every_command_and_open_file(
    client: TestClient, web: WebApp
) -> None:
    sid = new_session(client, web)
    tags = tags_of(client.get(f"/s/{sid}", headers=web.cookie).text)
    dialogs = [a for t, a in tags if t == "dialog" and a.get("id") == "palette"]
    assert dialogs and dialogs[0]["aria-label"] == "Command palette"
    options = [
        a for t, a in tags if a.get("role") == "option" and a.get("id", "").startswith("palette-")
    ]
    assert [a.get("data-command") for a in options[1:]] == list(COMMANDS)
    assert options[0]["data-action"] == "open-file"
    assert [a.get("data-needs-argument") for a in options if a.get("data-command") == "model"] == [
        "1"
    ]


def test_the_vendored_files_are_served_and_match_their_recorded_hashes(client: TestClient) -> None:
    notes = (STATIC_DIR / "vendor" / "VENDORED.md").read_text()
    for name in ("htmx.min.js", "ws.min.js"):
        response = client.get(f"/static/vendor/{name}")
        assert response.status_code == 200
        assert "javascript" in response.headers["content-type"]
        assert hashlib.sha256(response.content).hexdigest() in notes
    assert "htmx.org" in notes and "2.0.11" in notes and "htmx-ext-ws" in notes and "2.0.4" in notes


@pytest.mark.parametrize(
    ("header", "parsed"),
    [
        ("127.0.0.1:8000", ("127.0.0.1", 8000)),
        ("LOCALHOST:8000", ("localhost", 8000)),
        ("[::1]:8000", ("[::1]", 8000)),
        ("[::1]", ("[::1]", None)),
        ("example.com", ("example.com", None)),
        ("", None),
        ("[::1", None),
        ("[::1]8000", None),
        ("::1:8000", None),
        ("host:", None),
        ("host:0", None),
        ("host:080", None),
        ("host:65536", None),
        ("host:8000 ", None),
        ("ho st:8000", None),
        ("user@host:8000", None),
        ("host.:8000", None),
        ("h\u00f6st:8000", None),
        ("host:\u0668\u0660", None),
    ],
)
def test_the_host_parser_accepts_only_plain_authorities(
    header: str, parsed: tuple[str, int | None] | None
) -> None:
    assert parse_authority(header) == parsed


def test_configured_names_join_the_allowlist_and_its_origins() -> None:
    hosts = ServedHosts.for_port(4000, ["devbox.lan"])
    assert hosts.allows_host("devbox.lan:4000") and not hosts.allows_host("devbox.lan:4001")
    assert "http://devbox.lan:4000" in hosts.origins
    with pytest.raises(ValueError, match="not a host name"):
        ServedHosts.for_port(4000, ["http://devbox.lan"])


def test_the_owner_secrets_are_distinct_and_kept_out_of_reprs() -> None:
    assert len({TOKEN, AUTH.cookie_value, AUTH.csrf_token}) == 3
    assert TOKEN not in repr(AUTH) and AUTH.cookie_value not in repr(AUTH)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", TOKEN)


def test_a_config_must_carry_the_bound_port_and_a_long_token(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="port"):
        WebConfig(workspace=tmp_path, port=0, owner_token=TOKEN)
    with pytest.raises(ValueError, match="token"):
        WebConfig(workspace=tmp_path, port=PORT, owner_token="short")
