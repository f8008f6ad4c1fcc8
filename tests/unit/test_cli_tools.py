"""`codesm tools ...` and the toolbox protocol, through click's runner and a real agent turn."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from codesm import paths
from codesm.config.settings import load_settings
from codesm.toolbox import discover, toolbox_dir
from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn
from tests.unit.cli_support import codesm

COUNTER = """#!/bin/sh
if [ "$TOOLBOX_ACTION" = describe ]; then
  echo '{"name": "count_words", "description": "Count the words of a text.",
         "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}},
                         "required": ["text"]}}'
else
  python3 -c 'import json, sys; print(len(json.load(sys.stdin)["text"].split()), "words")'
fi
"""


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    monkeypatch.chdir(ws)
    return ws


def write_settings(data: dict[str, object]) -> None:
    path = paths.config_dir() / "settings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


def install_counter() -> Path:
    directory = paths.config_dir() / "tools"
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / "count_words"
    script.write_text(COUNTER)
    script.chmod(0o755)
    return script


def test_list_json_shows_builtins_and_which_settings_disable(workspace: Path) -> None:
    write_settings({"codesm.tools.disable": ["web*"]})
    result = codesm("tools", "list", "--json")
    assert result.exit_code == 0
    tools = {t["name"]: t for t in json.loads(result.stdout)}
    assert tools["read"]["enabled"] and tools["read"]["source"] == "built-in"
    assert not tools["webfetch"]["enabled"]
    assert "codesm.tools.disable" in tools["webfetch"]["state"]


def test_tools_enable_globs_keep_only_matching_tools(workspace: Path) -> None:
    write_settings({"codesm.tools.enable": ["read", "grep"]})
    tools = json.loads(codesm("tools", "list", "--json").stdout)
    assert sorted(t["name"] for t in tools if t["enabled"]) == ["grep", "read"]


def test_show_prints_description_and_schema(workspace: Path) -> None:
    result = codesm("tools", "show", "read", "--json")
    assert result.exit_code == 0
    shown = json.loads(result.stdout)
    assert "path" in shown["input_schema"]["properties"]
    assert codesm("tools", "show", "nope").exit_code == 2


def test_use_runs_a_read_only_tool_directly(workspace: Path) -> None:
    (workspace / "notes.txt").write_text("alpha\nbeta\n")
    result = codesm("tools", "use", "read", "--args", '{"path": "notes.txt"}')
    assert result.exit_code == 0, result.output
    assert "beta" in result.stdout


def test_use_with_bad_json_is_a_usage_error(workspace: Path) -> None:
    result = codesm("tools", "use", "read", "--args", "{nope")
    assert result.exit_code == 2


def test_use_goes_through_the_permission_engine(workspace: Path) -> None:
    write_settings({"codesm.permissions": [{"tool": "bash", "action": "deny",
                                            "matches": {"cmd": "touch *"}}]})  # fmt: skip
    denied = codesm("tools", "use", "bash", "--args", '{"command": "touch x"}')
    assert denied.exit_code == 1 and "not allowed" in denied.stderr
    assert not (workspace / "x").exists()
    asked = codesm("tools", "use", "bash", "--args", '{"command": "mkdir d"}')
    assert asked.exit_code == 1 and "needs approval" in asked.stderr
    allowed = codesm("--dangerously-allow-all", "tools", "use", "bash",
                     "--args", '{"command": "mkdir d"}')  # fmt: skip
    assert allowed.exit_code == 0 and (workspace / "d").is_dir()


def test_make_writes_a_skeleton_that_describes_and_runs_itself(workspace: Path) -> None:
    result = codesm("tools", "make", "echoer")
    assert result.exit_code == 0
    script = paths.config_dir() / "tools" / "echoer"
    assert os.access(script, os.X_OK)
    (spec,) = discover(script.parent).specs
    assert spec.name == "tb__echoer"
    ran = codesm("--dangerously-allow-all", "tools", "use", "tb__echoer",
                 "--args", '{"message": "hi"}')  # fmt: skip
    assert ran.exit_code == 0 and ran.stdout.strip() == "echoer got: hi"
    assert codesm("tools", "make", "echoer").exit_code == 1  # no silent overwrite


def test_toolbox_arguments_are_checked_against_the_schema(workspace: Path) -> None:
    install_counter()
    result = codesm("--dangerously-allow-all", "tools", "use", "tb__count_words", "--args", "{}")
    assert result.exit_code == 1
    assert "'text' is a required property" in result.stdout


def test_toolbox_problems_are_listed_not_fatal(workspace: Path) -> None:
    install_counter()
    broken = toolbox_dir(load_settings(workspace).settings) / "broken"
    broken.write_text("#!/bin/sh\necho not json\n")
    broken.chmod(0o755)
    result = codesm("tools", "list")
    assert result.exit_code == 0
    assert "tb__count_words" in result.stdout
    assert "broken" in result.stderr and "did not print JSON" in result.stderr


def test_the_model_is_offered_and_can_call_a_toolbox_tool(
    workspace: Path, scripted_llm: ScriptedLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_counter()
    write_settings({"codesm.permissions": [{"tool": "tb__*", "action": "allow"}]})
    monkeypatch.setenv("ANTHROPIC_API_KEY", "x")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", scripted_llm.base_url)
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("tb__count_words", {"text": "one two three"})]),
        Turn(text="Three words."),
    )
    result = codesm("-x", "count them")
    assert result.exit_code == 0, result.stderr
    first, second = scripted_llm.completion_requests()
    assert "tb__count_words" in [tool["name"] for tool in first.body["tools"]]
    assert "3 words" in json.dumps(second.body["messages"])
