"""`codesm completion`, `update`, `login`/`logout`, global options, exit codes and settings."""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Sequence
from pathlib import Path

import httpx
import pytest

from codesm import notify, paths
from codesm.config import verify
from codesm.config.credentials import load_credentials
from codesm.config.settings import Settings
from codesm.notify import Notifier
from codesm.update import upgrade
from tests.support.scripted_llm import ScriptedLLMServer, Turn
from tests.unit.cli_support import codesm


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    monkeypatch.chdir(ws)
    return ws


@pytest.mark.parametrize(
    ("shell", "marker"),
    [("bash", "complete -o nosort"), ("zsh", "#compdef codesm"), ("fish", "complete --no-files")],
)
def test_completion_prints_the_script_for_each_shell(shell: str, marker: str) -> None:
    result = codesm("completion", shell)
    assert result.exit_code == 0
    assert marker in result.stdout and "_CODESM_COMPLETE" in result.stdout


def test_unknown_shell_command_and_option_are_usage_errors() -> None:
    assert codesm("completion", "tcsh").exit_code == 2
    assert codesm("no-such-command").exit_code == 2
    assert codesm("threads", "list", "--bogus").exit_code == 2
    assert codesm("--visibility", "public", "threads", "list").exit_code == 2


def test_update_leaves_a_source_checkout_alone() -> None:
    result = codesm("update")
    assert result.exit_code == 1
    assert "source checkout" in result.stderr and "git pull" in result.stderr


def test_update_says_clearly_when_the_registry_is_unreachable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")  # discard port
    result = codesm("update", "--force")
    assert result.exit_code == 1
    assert "could not reach the package registry http://127.0.0.1:9/simple" in result.stderr


def test_update_reports_the_new_version_after_pip_upgrades() -> None:
    versions = iter(["0.1.0", "0.2.0"])
    commands: list[list[str]] = []

    def run(command: Sequence[str]) -> subprocess.CompletedProcess[str]:
        commands.append(list(command))
        out = next(versions) if command[1] == "-c" else ""
        return subprocess.CompletedProcess(list(command), 0, out, "")

    result = upgrade(python="py", run=run, probe=lambda url: None, force=True)
    assert result.status == "updated" and "0.1.0 -> 0.2.0" in result.message
    assert commands[-2][:5] == ["py", "-m", "pip", "install", "--upgrade"]


def test_login_verifies_the_key_with_a_cheap_call_and_stores_it(
    scripted_llm: ScriptedLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", scripted_llm.base_url)
    result = codesm("login", "anthropic", input="sk-ant-good\n")
    assert result.exit_code == 0, result.output
    assert "Verified" in result.stdout
    assert load_credentials()["ANTHROPIC_API_KEY"] == "sk-ant-good"
    (request,) = scripted_llm.requests
    assert request.path == "/v1/messages/count_tokens"
    assert request.headers["x-api-key"] == "sk-ant-good"
    assert (paths.config_dir() / "credentials.json").stat().st_mode & 0o777 == 0o600


def test_login_offline_stores_the_key_with_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    result = codesm("login", "openai", input="sk-offline\n")
    assert result.exit_code == 0
    assert "could not reach 127.0.0.1" in result.stderr and "unverified" in result.stderr
    assert load_credentials()["OPENAI_API_KEY"] == "sk-offline"


def test_login_does_not_store_a_key_the_provider_rejects(monkeypatch: pytest.MonkeyPatch) -> None:
    real_verify = verify.verify_key

    def rejecting(provider: str, key: str, *, env: object) -> verify.Verification:
        transport = httpx.MockTransport(lambda request: httpx.Response(401, json={}))
        return real_verify(provider, key, env={}, transport=transport)

    monkeypatch.setattr(verify, "verify_key", rejecting)
    result = codesm("login", "gemini", input="bad\n")
    assert result.exit_code == 1 and "rejected the key" in result.stderr
    assert load_credentials() == {}


def test_login_without_a_provider_and_no_terminal_is_a_usage_error() -> None:
    assert codesm("login", input="key\n").exit_code == 2


def test_logout_without_a_provider_forgets_every_stored_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    codesm("login", "openai", "--no-verify", input="a\n")
    codesm("login", "gemini", "--no-verify", input="b\n")
    result = codesm("logout")
    assert result.exit_code == 0 and "openai" in result.stdout and "gemini" in result.stdout
    assert load_credentials() == {}


def test_a_setting_that_is_not_wired_yet_is_rejected_clearly(workspace: Path) -> None:
    settings = paths.config_dir() / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text(json.dumps({"codesm.proxy": "http://proxy:3128"}))
    result = codesm("threads", "new")
    assert result.exit_code == 1
    assert "codesm.proxy" in result.stderr and "not supported yet" in result.stderr


def test_notifications_ring_the_bell_when_a_long_turn_ends(
    workspace: Path, scripted_llm: ScriptedLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "x")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", scripted_llm.base_url)
    monkeypatch.setattr(notify, "LONG_TURN_S", 0.0)
    scripted_llm.script(Turn(text="done"), Turn(text="done again"))
    quiet = codesm("-x", "go")
    assert quiet.exit_code == 0 and "\a" not in quiet.stderr
    loud = codesm("--notifications", "-x", "go")
    assert loud.exit_code == 0 and "\a" in loud.stderr


def test_notifier_sends_a_desktop_notification_only_when_asked() -> None:
    sent: list[Sequence[str]] = []
    settings = Settings.model_validate(
        {"codesm.notifications.enabled": True, "codesm.notifications.system.enabled": True}
    )
    stream = io.StringIO()
    notifier = Notifier.from_settings(settings)
    notifier = Notifier(bell=notifier.bell, system=notifier.system, stream=stream, run=sent.append)
    assert not notifier.turn_finished(1.0)
    assert notifier.turn_finished(60.0)
    assert notifier.approval_waiting("bash: rm -rf build")
    assert stream.getvalue() == "\a\a"
    assert not Notifier.from_settings(settings, flag=False).bell
