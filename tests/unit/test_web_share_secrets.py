"""8 canary secrets (config, environment, `.env`, tool output, model output) x the surfaces a
secret could leave by: viewer page, viewer frames, controller page, the owner's page (provider
keys), logs and the Markdown export. Zero hits."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from codesm.cli import main
from codesm.security.redact import Redactor, install_log_redaction
from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn
from tests.unit.share_support import guest_headers, prompt_watched_by_guest, share_app

PROVIDER_KEY = "CANARYprovider0001xyz"
ENV_TOKEN = "CANARYenvtoken0002xyz"
ENV_PASSWORD = "CANARYpassword0003xyz"
DOTENV_VALUE = "CANARYdotenv0004xyz"
ANTHROPIC_SHAPED = "sk-ant-api03-CANARY0005abcdefghijklmnop"
AWS_SHAPED = "AKIACANARY0006ABCDEF"
GITHUB_SHAPED = "ghp_CANARY0007abcdefghijklmnopqrstuvwx"
PRIVATE_KEY_BODY = "CANARY0008privatekeybody"
CANARIES = (PROVIDER_KEY, ENV_TOKEN, ENV_PASSWORD, DOTENV_VALUE, ANTHROPIC_SHAPED, AWS_SHAPED,
            GITHUB_SHAPED, PRIVATE_KEY_BODY)  # fmt: skip


def hits(surfaces: dict[str, str]) -> list[tuple[str, str]]:
    return [(name, c) for name, text in surfaces.items() for c in CANARIES if c in text]


def test_eight_canary_secrets_never_reach_guests_logs_or_exports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scripted_llm: ScriptedLLMServer
) -> None:
    workspace = tmp_path / "project"
    workspace.mkdir()
    (workspace / ".env").write_text(f"SERVICE_URL={DOTENV_VALUE}\n")
    (workspace / "leak.txt").write_text(
        f"aws={AWS_SHAPED}\nurl={DOTENV_VALUE}\ntoken={ENV_TOKEN}\n"
        f"-----BEGIN OPENSSH PRIVATE KEY-----\n{PRIVATE_KEY_BODY}\n"
        "-----END OPENSSH PRIVATE KEY-----\n"
    )
    env = {"ANTHROPIC_API_KEY": PROVIDER_KEY, "ANTHROPIC_BASE_URL": scripted_llm.base_url}
    for name, value in {"SERVICE_TOKEN": ENV_TOKEN, "DB_PASSWORD": ENV_PASSWORD, **env}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(workspace)
    scripted_llm.script(
        Turn(text="Reading.", tool_calls=[ToolCallSpec("read", {"path": "leak.txt"}, id="c1")]),
        Turn(text=f"Found {ANTHROPIC_SHAPED}, {GITHUB_SHAPED} and {PROVIDER_KEY}."),
        Turn(text="Secrets title", when="Write a title"),
    )
    surfaces: dict[str, str] = {}
    with share_app(workspace, None, env=env) as web:
        sid = web.new_session()
        tokens = web.share(sid)
        viewer, controller = guest_headers(tokens["viewer"]), guest_headers(tokens["controller"])
        seen, owner_frames = prompt_watched_by_guest(
            web, sid, viewer, f"my password is {ENV_PASSWORD}"
        )
        surfaces["viewer frames"] = seen
        surfaces["viewer page"] = web.client.get(f"/s/{sid}", headers=viewer).text
        surfaces["controller page"] = web.client.get(f"/s/{sid}", headers=controller).text
        surfaces["viewer 404 page"] = web.client.get(f"/s/{sid}/x", headers=viewer).text
        owner_page = web.client.get(f"/s/{sid}", headers=web.owner_headers()).text
    assert "Found" in surfaces["viewer frames"] and "leak.txt" in surfaces["viewer page"]
    # The owner sees their own workspace, but never a configured provider key.
    assert PROVIDER_KEY not in owner_page and PROVIDER_KEY not in owner_frames

    stream = io.StringIO()
    logger = logging.getLogger("codesm.test.canaries")
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        install_log_redaction(Redactor.for_environment(workspace=workspace), logger)
        logger.error("provider said %s", " ".join(CANARIES[:-1]))
        logger.error("-----BEGIN RSA PRIVATE KEY-----\n%s\n-----END RSA PRIVATE KEY-----",
                     PRIVATE_KEY_BODY)  # fmt: skip
    finally:
        logger.removeHandler(handler)
    surfaces["logs"] = stream.getvalue()
    export = CliRunner().invoke(main, ["threads", "markdown", sid])
    assert export.exit_code == 0, export.output
    assert "leak.txt" in export.output
    surfaces["markdown export"] = export.output

    assert len(surfaces) >= 6
    assert hits(surfaces) == []


def test_guests_see_the_home_directory_as_a_tilde_while_the_owner_sees_the_full_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scripted_llm: ScriptedLLMServer
) -> None:
    home = tmp_path / "home" / "ann"
    workspace = home / "project"
    workspace.mkdir(parents=True)
    (workspace / "where.txt").write_text(f"this file lives in {workspace}/where.txt\n")
    monkeypatch.setenv("HOME", str(home))
    env = {"ANTHROPIC_API_KEY": PROVIDER_KEY, "ANTHROPIC_BASE_URL": scripted_llm.base_url}
    scripted_llm.script(
        Turn(text="Reading.", tool_calls=[ToolCallSpec("read", {"path": "where.txt"}, id="c1")]),
        Turn(text=f"It is {workspace}/where.txt under {home}."),
        Turn(text="Home title", when="Write a title"),
    )
    with share_app(workspace, None, env=env) as web:
        sid = web.new_session()
        tokens = web.share(sid)
        viewer = guest_headers(tokens["viewer"])
        seen, owner_frames = prompt_watched_by_guest(web, sid, viewer, "where?")
        guest_surfaces = {
            "viewer frames": seen,
            "viewer page": web.client.get(f"/s/{sid}", headers=viewer).text,
            "controller page": web.client.get(
                f"/s/{sid}", headers=guest_headers(tokens["controller"])
            ).text,
        }
    for name, text in guest_surfaces.items():
        assert str(home) not in text, name
        assert "~/project/where.txt" in text, name
    assert f"{workspace}/where.txt" in owner_frames
