"""The sessions sidebar: list, search, create, rename, archive, delete (htmx posts with CSRF)."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.unit.web_support import WebApp, make_web_app, new_session


@pytest.fixture
def web(tmp_path: Path) -> WebApp:
    workspace = tmp_path / "project"
    workspace.mkdir()
    return make_web_app(workspace, tmp_path / "codesm.db")


def rename(client: TestClient, web: WebApp, sid: str, title: str) -> str:
    response = client.post(f"/s/{sid}/rename", headers=web.write_headers(), data={"title": title})
    assert response.status_code == 200
    return response.text


def test_sessions_are_listed_newest_first(client: TestClient, web: WebApp) -> None:
    first, second = new_session(client, web), new_session(client, web)
    listing = client.get("/sessions", headers=web.cookie).text
    assert listing.index(f'id="session-{second}"') < listing.index(f'id="session-{first}"')
    assert "just now" in listing


def test_renaming_a_session_returns_its_entry_with_the_title_escaped(
    client: TestClient, web: WebApp
) -> None:
    sid = new_session(client, web)
    entry = rename(client, web, sid, "  Fix <script>alert(1)</script>  login ")
    assert "Fix &lt;script&gt;alert(1)&lt;/script&gt; login" in entry
    assert "<script>" not in entry
    assert "Fix &lt;script&gt;" in client.get(f"/s/{sid}", headers=web.cookie).text


def test_search_finds_a_session_by_its_title(client: TestClient, web: WebApp) -> None:
    wanted, other = new_session(client, web), new_session(client, web)
    rename(client, web, wanted, "Refactor the parser")
    rename(client, web, other, "Update docs")
    found = client.get("/sessions?q=parser", headers=web.cookie).text
    assert f'id="session-{wanted}"' in found and f'id="session-{other}"' not in found
    assert "No session matches." in client.get("/sessions?q=zzzz", headers=web.cookie).text


def test_archiving_removes_a_session_from_the_list(client: TestClient, web: WebApp) -> None:
    sid = new_session(client, web)
    response = client.post(f"/s/{sid}/archive", headers=web.write_headers())
    assert response.status_code == 200 and response.text == ""
    assert f'id="session-{sid}"' not in client.get("/sessions", headers=web.cookie).text


def test_deleting_a_session_makes_its_page_not_found(client: TestClient, web: WebApp) -> None:
    sid = new_session(client, web)
    response = client.post(f"/s/{sid}/delete", headers=web.write_headers())
    assert response.status_code == 200
    assert client.get(f"/s/{sid}", headers=web.cookie).status_code == 404


def test_deleting_the_session_on_screen_sends_the_page_home(
    client: TestClient, web: WebApp
) -> None:
    sid = new_session(client, web)
    headers = web.write_headers(
        **{"hx-request": "true", "hx-current-url": f"http://127.0.0.1:8770/s/{sid}"}
    )
    response = client.post(f"/s/{sid}/delete", headers=headers)
    assert response.status_code == 204 and response.headers["hx-redirect"] == "/"


def test_a_plain_form_post_creates_a_session_and_redirects_to_it(
    client: TestClient, web: WebApp
) -> None:
    response = client.post("/sessions", headers=web.write_headers())
    assert response.status_code == 303 and response.headers["location"].startswith("/s/")


@pytest.mark.parametrize("action", ["rename", "archive", "delete"])
def test_an_action_on_an_unknown_session_is_not_found(
    client: TestClient, web: WebApp, action: str
) -> None:
    response = client.post(f"/s/nope/{action}", headers=web.write_headers(), data={"title": "x"})
    assert response.status_code == 404


def test_listing_sessions_writes_nothing(client: TestClient, web: WebApp) -> None:
    for _ in range(3):
        client.get("/sessions", headers=web.cookie)
        client.get("/", headers=web.cookie)
    assert "No sessions yet." in client.get("/sessions", headers=web.cookie).text
