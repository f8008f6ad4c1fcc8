"""The connect-a-provider dialog: a key pasted in the browser is stored 0600 in the credentials
file `codesm login` writes, never comes back in any response, and makes the provider usable in
the running server at once; only the owner, with the CSRF header, can store or remove one."""

from __future__ import annotations

import json
import logging
import stat
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from codesm.config.credentials import credentials_path
from codesm.doctor import LocalServer
from codesm.web.routes import connect
from tests.support.scripted_llm import ScriptedLLMServer, Turn
from tests.unit.web_support import (
    BASE,
    WebApp,
    client_for,
    make_web_app,
    new_session,
    run_turn,
)

OPENROUTER_KEY = "sk-or-v1-0123456789abcdef0123456789abcdef"
LOCAL_KEY = "sk-local-9f8e7d6c5b4a39281706"


@pytest.fixture(autouse=True)
def no_local_servers(monkeypatch: pytest.MonkeyPatch) -> list[LocalServer]:
    found: list[LocalServer] = []
    monkeypatch.setattr(connect, "detect_local_servers", lambda timeout: found)
    return found


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "notes.txt").write_text("alpha\n")
    return root


@pytest.fixture
def web(workspace: Path, tmp_path: Path) -> WebApp:
    return make_web_app(workspace, tmp_path / "codesm.db")  # no provider configured


def post(client: TestClient, web: WebApp, path: str, **fields: str) -> str:
    response = client.post(path, headers=web.write_headers(**{"hx-request": "true"}), data=fields)
    assert response.status_code == 200, response.text
    return response.text


def stored() -> dict[str, str]:
    path = credentials_path()
    return json.loads(path.read_text()) if path.exists() else {}


def test_a_pasted_key_is_stored_0600_and_never_sent_back(
    client: TestClient, web: WebApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    html = post(client, web, "/connect", provider="openrouter", key=f"  {OPENROUTER_KEY}\n")
    assert stored() == {"OPENROUTER_API_KEY": OPENROUTER_KEY}
    assert stat.S_IMODE(credentials_path().stat().st_mode) == 0o600
    assert stat.S_IMODE(credentials_path().parent.stat().st_mode) == 0o700
    assert "openrouter is connected" in html and "configured ✓" in html
    assert "…cdef" in html and OPENROUTER_KEY not in html
    assert 'name="key" value=""' in html
    dialog = client.get("/connect", headers=web.cookie).text
    assert OPENROUTER_KEY not in dialog and "…cdef" in dialog
    assert OPENROUTER_KEY not in caplog.text


def test_a_stored_key_makes_the_provider_usable_without_a_restart(
    client: TestClient, web: WebApp
) -> None:
    sid = new_session(client, web)
    before = client.get(f"/s/{sid}", headers=web.cookie).text
    assert 'id="provider-notice"' in before and "anthropic/claude-sonnet-5.5" not in before
    html = client.post(
        "/connect",
        headers=web.write_headers(**{"hx-request": "true", "hx-current-url": f"{BASE}/s/{sid}"}),
        data={"provider": "openrouter", "key": OPENROUTER_KEY},
    ).text
    # The page it came from: the notice goes, the model picker offers the provider's models.
    assert '<div id="provider-notice-slot" hx-swap-oob="innerHTML"></div>' in html
    assert 'id="status-model" hx-swap-oob="true"' in html
    assert '<option value="anthropic/claude-sonnet-5.5" selected>' in html
    after = client.get(f"/s/{sid}", headers=web.cookie).text
    assert 'id="provider-notice"' not in after and "anthropic/claude-sonnet-5.5" in after


def test_a_stored_key_is_redacted_from_every_later_page(
    client: TestClient, web: WebApp, workspace: Path
) -> None:
    (workspace / "leak.txt").write_text(f"token = {OPENROUTER_KEY}\n")
    post(client, web, "/connect", provider="openrouter", key=OPENROUTER_KEY)
    preview = client.get("/files/view", params={"path": "leak.txt"}, headers=web.cookie).text
    assert "token" in preview and OPENROUTER_KEY not in preview


def test_removing_forgets_the_key_and_the_provider(client: TestClient, web: WebApp) -> None:
    post(client, web, "/connect", provider="openrouter", key=OPENROUTER_KEY)
    html = post(client, web, "/connect/remove", provider="openrouter")
    assert "Removed what was stored for openrouter" in html
    assert stored() == {}
    assert "configured ✓" not in html
    sid = new_session(client, web)
    assert 'id="provider-notice"' in client.get(f"/s/{sid}", headers=web.cookie).text


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"provider": "openai", "key": ""}, "paste the openai API key"),
        ({"provider": "openai", "key": "sk-has a space"}, "no spaces"),
        (
            {"provider": "openai-compatible", "base_url": "ftp://127.0.0.1/v1"},
            "must start with http:// or https://",
        ),
        (
            {"provider": "ollama", "base_url": "http://user:pw@127.0.0.1:11434"},
            "not in the URL",
        ),
        (
            {"provider": "openai-compatible", "base_url": "http://h/v1", "model": "a b"},
            "a model name is",
        ),
    ],
)
def test_a_bad_entry_says_what_to_fix_and_stores_nothing(
    client: TestClient, web: WebApp, fields: dict[str, str], message: str
) -> None:
    html = post(client, web, "/connect", **fields)
    assert message in html and 'role="alert"' in html
    assert stored() == {}


def test_an_unknown_provider_is_refused(client: TestClient, web: WebApp) -> None:
    response = client.post(
        "/connect", headers=web.write_headers(), data={"provider": "evil", "key": "sk-x"}
    )
    assert response.status_code == 400
    removed = client.post("/connect/remove", headers=web.write_headers(), data={"provider": "x"})
    assert removed.status_code == 400
    assert stored() == {}


@pytest.mark.parametrize("path", ["/connect", "/connect/remove"])
def test_storing_or_removing_needs_the_owner_and_the_csrf_header(
    client: TestClient, web: WebApp, path: str
) -> None:
    data = {"provider": "openrouter", "key": OPENROUTER_KEY}
    no_cookie = {"x-csrf-token": web.auth.csrf_token, "origin": BASE}
    assert client.post(path, headers=no_cookie, data=data).status_code in (401, 403)
    assert client.post(path, headers=web.cookie, data=data).status_code == 403
    wrong = web.write_headers(**{"x-csrf-token": "0" * 43})
    assert client.post(path, headers=wrong, data=data).status_code == 403
    foreign = web.write_headers(origin="http://evil.example")
    assert client.post(path, headers=foreign, data=data).status_code == 403
    assert stored() == {}


def test_the_dialog_offers_a_form_per_provider_and_the_local_servers_found(
    client: TestClient, web: WebApp, no_local_servers: list[LocalServer]
) -> None:
    no_local_servers.append(LocalServer("ollama", "http://127.0.0.1:11434", ["qwen3:8b"]))
    no_local_servers.append(LocalServer("openai-compatible", "http://127.0.0.1:1234", ["qwen"]))
    html = client.get("/connect", headers=web.cookie).text
    assert "<dialog" in html and "codesm login" in html
    assert html.count('type="password"') == 5  # four cloud keys, the compatible server's own
    assert 'name="base_url" value="http://127.0.0.1:11434"' in html
    assert 'name="base_url" value="http://127.0.0.1:1234/v1"' in html
    assert html.count("Use this server") == 2
    post(client, web, "/connect", provider="ollama", base_url="http://127.0.0.1:11434/")
    assert stored() == {"OLLAMA_HOST": "http://127.0.0.1:11434"}


def test_an_openai_compatible_server_connected_in_the_dialog_answers_the_next_prompt(
    client: TestClient, web: WebApp, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(Turn(text="Hello from the local server."), Turn(text="Title"))
    sid = new_session(client, web)
    post(
        client,
        web,
        "/connect",
        provider="openai-compatible",
        base_url=scripted_llm.openai_base_url,
        key=LOCAL_KEY,
        model="local-model",
    )
    frames = run_turn(client, web, sid, "hi there")
    assert "Hello from the local server." in frames and LOCAL_KEY not in frames
    request = scripted_llm.completion_requests()[0]
    assert request.path == "/v1/chat/completions"
    assert request.body["model"] == "local-model"
    assert request.headers["authorization"] == f"Bearer {LOCAL_KEY}"


def test_a_key_is_checked_with_the_provider_when_asked_and_the_environment_still_wins(
    workspace: Path, tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    key = "sk-ant-api03-pasted-in-the-browser-0000"
    web = make_web_app(workspace, tmp_path / "other.db", llm=scripted_llm)  # env has a key
    with client_for(web) as client:
        html = post(client, web, "/connect", provider="anthropic", key=key, verify="1")
    checked = [r for r in scripted_llm.requests if r.path == "/v1/messages/count_tokens"]
    assert [r.headers["x-api-key"] for r in checked] == [key]
    assert stored() == {"ANTHROPIC_API_KEY": key}
    assert "environment of codesm web still wins" in html and key not in html
