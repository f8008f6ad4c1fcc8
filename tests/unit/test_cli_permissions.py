"""`codesm permissions ...` through click's runner, with isolated user and project settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codesm import paths
from tests.unit.cli_support import codesm


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    monkeypatch.chdir(ws)
    return ws


def user_settings() -> Path:
    return paths.config_dir() / "settings.json"


def test_add_appends_a_user_rule_that_list_then_shows_with_its_file(workspace: Path) -> None:
    added = codesm("permissions", "add", "allow", "bash", "--cmd", "npm test*")
    assert added.exit_code == 0, added.output
    data = json.loads(user_settings().read_text())
    assert data["codesm.permissions"] == [
        {"tool": "bash", "action": "allow", "matches": {"cmd": "npm test*"}}
    ]
    listed = json.loads(codesm("permissions", "list", "--json").stdout)
    assert listed[0]["origin"] == str(user_settings())
    assert listed[-1]["origin"] == "built-in"


def test_project_rules_are_listed_and_project_allows_marked_ignored(workspace: Path) -> None:
    project = workspace / ".codesm" / "settings.json"
    project.parent.mkdir()
    project.write_text(json.dumps({"codesm.permissions": [
        {"tool": "bash", "action": "allow", "matches": {"cmd": "curl *"}}]}))  # fmt: skip
    listed = json.loads(codesm("permissions", "list", "--json").stdout)
    (mine,) = [rule for rule in listed if rule["origin"] == str(project)]
    assert mine["effective"] is False
    assert "ignored" in codesm("permissions", "list").stdout


def test_add_refuses_an_allow_rule_in_project_scope(workspace: Path) -> None:
    result = codesm("permissions", "add", "allow", "bash", "--cmd", "x", "--scope", "project")
    assert result.exit_code == 2


def test_add_refuses_to_rewrite_a_file_with_comments(workspace: Path) -> None:
    user_settings().parent.mkdir(parents=True)
    user_settings().write_text('{\n  // mine\n  "codesm.mode": "rush"\n}\n')
    result = codesm("permissions", "add", "deny", "bash", "--cmd", "rm *")
    assert result.exit_code == 1 and "permissions edit" in result.stderr
    assert "// mine" in user_settings().read_text()


def test_test_names_the_rule_that_decides_a_command(workspace: Path) -> None:
    codesm("permissions", "add", "deny", "bash", "--cmd", "git push*", "--message", "no pushing")
    denied = json.loads(codesm("permissions", "test", "git", "push", "origin", "--json").stdout)
    assert denied["action"] == "deny" and denied["reason"] == "no pushing"
    assert denied["rule_source"] == "user"
    allowed = json.loads(codesm("permissions", "test", "git status", "--json").stdout)
    assert allowed["action"] == "allow" and allowed["rule_source"] == "builtin"
    asked = codesm("permissions", "test", "make", "deploy")
    assert asked.exit_code == 0 and asked.stdout.startswith("ASK:")


def test_test_a_tool_call_under_another_mode(workspace: Path) -> None:
    args = '{"path": "a.py", "content": "x"}'
    review = json.loads(codesm("permissions", "test", "--tool", "write", "--args", args,
                               "--json").stdout)  # fmt: skip
    assert review["action"] == "ask"
    auto = json.loads(codesm("permissions", "test", "--tool", "write", "--args", args,
                             "--mode", "auto-edit", "--json").stdout)  # fmt: skip
    assert auto["action"] == "allow"


def test_test_without_anything_to_test_is_a_usage_error(workspace: Path) -> None:
    assert codesm("permissions", "test").exit_code == 2


def test_edit_opens_the_settings_file_in_the_editor(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "opened"
    editor = tmp_path / "editor.sh"
    editor.write_text(f'#!/bin/sh\necho "$1" > {log}\n')
    editor.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.delenv("VISUAL", raising=False)
    result = codesm("permissions", "edit")
    assert result.exit_code == 0, result.output
    assert log.read_text().strip() == str(user_settings())
    assert json.loads(user_settings().read_text()) == {"codesm.permissions": []}
