"""Provider errors and headless output carry secrets too: a 401 whose body echoes the key, an
in-band error event quoting it, and `--stream-json` lines with tool output full of secrets.

What each reader gets: the owner's browser shows its own errors with the configured provider keys
removed (a key never reaches a browser); guests get the full redactor; logs and headless output
(plain or stream-json: it usually lands in a CI log) get the full redactor too."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from codesm.security.redact import Redactor, install_log_redaction
from tests.support.scripted_llm import Fault, ScriptedLLMServer, ToolCallSpec, Turn
from tests.unit.share_support import guest_headers, prompt_watched_by_guest, share_app
from tests.unit.test_web_share_secrets import (
    ANTHROPIC_SHAPED,
    AWS_SHAPED,
    DOTENV_VALUE,
    ENV_PASSWORD,
    ENV_TOKEN,
    GITHUB_SHAPED,
    PRIVATE_KEY_BODY,
    PROVIDER_KEY,
    hits,
)

FOUND = f"Found sk-ant-**{ANTHROPIC_SHAPED[7:]}**, {GITHUB_SHAPED}, {PROVIDER_KEY}, {ENV_PASSWORD}."
ECHOED = (
    f"invalid x-api-key: {PROVIDER_KEY} (also tried {ANTHROPIC_SHAPED}, {ENV_TOKEN}, "
    f"{ENV_PASSWORD}, {DOTENV_VALUE}, {AWS_SHAPED}, {GITHUB_SHAPED}, -----BEGIN RSA PRIVATE "
    f"KEY-----\n{PRIVATE_KEY_BODY}\n-----END RSA PRIVATE KEY-----)"
)
FINISHED = re.compile(r"turn-status status-(?!running)")


def canary_env(workspace: Path, base_url: str) -> dict[str, str]:
    (workspace / ".env").write_text(f"SERVICE_URL={DOTENV_VALUE}\n")
    return {
        "ANTHROPIC_API_KEY": PROVIDER_KEY,
        "ANTHROPIC_BASE_URL": base_url,
        "SERVICE_TOKEN": ENV_TOKEN,
        "DB_PASSWORD": ENV_PASSWORD,
    }


def turn_ended(frames: str) -> bool:
    return FINISHED.search(frames) is not None


@pytest.mark.parametrize(
    "fault",
    [Fault("401", message=ECHOED), Fault("529", message=ECHOED)],
    ids=["401-echoing-the-key", "retried-529-quoting-it"],
)
def test_provider_errors_reach_the_owner_without_keys_and_guests_and_logs_without_any_secret(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    scripted_llm: ScriptedLLMServer,
    fault: Fault,
) -> None:
    workspace = tmp_path / "project"
    workspace.mkdir()
    env = canary_env(workspace, scripted_llm.base_url)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(workspace)
    scripted_llm.script(Turn(text="Errors", when="Write a title"), *[fault] * 4)
    log = io.StringIO()
    handler = logging.StreamHandler(log)
    root = logging.getLogger()
    root.addHandler(handler)
    install_log_redaction(Redactor.for_environment(workspace=workspace), root)
    try:
        with share_app(workspace, None, env=env) as web:
            sid = web.new_session()
            viewer = guest_headers(web.share(sid)["viewer"])
            guest_frames, owner_frames = prompt_watched_by_guest(
                web, sid, viewer, "hello", turn_ended
            )
            viewer_page = web.client.get(f"/s/{sid}", headers=viewer).text
            owner_page = web.client.get(f"/s/{sid}", headers=web.owner_headers()).text
    finally:
        root.removeHandler(handler)
    # The owner is told what went wrong, in the provider's words, minus the key itself.
    assert "invalid x-api-key" in owner_page and "notice-error" in owner_frames
    assert PROVIDER_KEY not in owner_page + owner_frames
    assert "invalid x-api-key" in viewer_page
    surfaces = {"viewer frames": guest_frames, "viewer page": viewer_page, "logs": log.getvalue()}
    assert hits(surfaces) == []


@pytest.fixture
def headless(tmp_path: Path, scripted_llm: ScriptedLLMServer) -> tuple[Path, dict[str, str]]:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    env.update(
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        HOME=str(tmp_path / "home"),
        **canary_env(workspace, scripted_llm.base_url),
    )
    return workspace, env


def run_codesm(
    workspace: Path, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codesm", *args],
        capture_output=True, text=True, cwd=workspace, env=env, timeout=60, check=False,
    )  # fmt: skip


def test_stream_json_lines_carry_no_secret_from_tools_answers_or_errors(
    headless: tuple[Path, dict[str, str]], scripted_llm: ScriptedLLMServer
) -> None:
    workspace, env = headless
    (workspace / "leak.txt").write_text(
        f"aws={AWS_SHAPED}\nurl={DOTENV_VALUE}\ntoken={ENV_TOKEN}\n"
        f"-----BEGIN OPENSSH PRIVATE KEY-----\n{PRIVATE_KEY_BODY}\n"
        "-----END OPENSSH PRIVATE KEY-----\n"
    )
    scripted_llm.script(
        Turn(text="Reading.", tool_calls=[ToolCallSpec("read", {"path": "leak.txt"}, id="c1")]),
        Turn(text=FOUND),
    )
    done = run_codesm(workspace, env, "-x", "read leak.txt", "--stream-json",
                      "--include-partial-messages", "--dangerously-allow-all")  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert lines[-1]["type"] == "result" and "[REDACTED]" in lines[-1]["result"]
    assert any(line["type"] == "user" for line in lines)  # the tool result line is there
    assert hits({"stream-json": done.stdout, "stderr": done.stderr}) == []

    scripted_llm.script(Fault("401", message=ECHOED), Fault("401", message=ECHOED))
    failed = run_codesm(workspace, env, "-x", "again", "--stream-json")
    assert failed.returncode == 1
    assert json.loads(failed.stdout.splitlines()[-1])["is_error"] is True
    plain = run_codesm(workspace, env, "-x", "once more")
    assert plain.returncode == 1 and "invalid x-api-key" in plain.stderr
    surfaces = {"stream-json": failed.stdout, "stderr": failed.stderr + plain.stderr}
    assert hits(surfaces) == []
