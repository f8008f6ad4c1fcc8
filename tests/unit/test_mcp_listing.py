"""MCP servers in listings: `codesm tools list|show`, the stream-json `init` line and
`--strict-mcp-config`; and `codesm instructions`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.support.mcp_servers import stdio_entry
from tests.support.scripted_llm import ScriptedLLMServer, Turn
from tests.unit.test_mcp_agent import codesm_env
from tests.unit.test_mcp_cli import invoke

BROKEN = {"command": sys.executable, "args": ["-c", "import sys; sys.exit(2)"]}


def init_line(tmp_path: Path, scripted_llm: ScriptedLLMServer, *extra: str) -> dict[str, Any]:
    workspace = tmp_path / "ws"
    workspace.mkdir(exist_ok=True)
    (workspace / ".mcp.json").write_text(json.dumps({"mcpServers": {"proj": stdio_entry("proj")}}))
    scripted_llm.script(Turn(text="done"))
    config = json.dumps({"mcpServers": {"good": stdio_entry("good"), "broken": BROKEN}})
    done = subprocess.run(
        [sys.executable, "-m", "codesm", "-x", "hi", "--stream-json", "--mcp-config", config,
         *extra],
        capture_output=True, text=True, cwd=workspace, env=codesm_env(tmp_path, scripted_llm),
        timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    first: dict[str, Any] = json.loads(done.stdout.splitlines()[0])
    assert first["type"] == "system" and first["subtype"] == "init"
    return first


def test_the_stream_json_init_line_lists_mcp_servers_with_their_status(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    line = init_line(tmp_path, scripted_llm)
    assert sorted(line["mcp_servers"], key=lambda s: s["name"]) == [
        {"name": "broken", "status": "failed"},
        {"name": "good", "status": "connected"},
        {"name": "proj", "status": "skipped"},
    ]
    assert "mcp__good__echo" in line["tools"]


def test_strict_mcp_config_uses_only_the_servers_from_the_command_line(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    line = init_line(tmp_path, scripted_llm, "--strict-mcp-config")
    assert sorted(s["name"] for s in line["mcp_servers"]) == ["broken", "good"]


def test_tools_list_and_show_include_each_mcp_tool_and_an_error_row_per_failing_server(
    tmp_path: Path,
) -> None:
    servers = {"good": stdio_entry("good"), "broken": BROKEN}
    (tmp_path / ".mcp.json").write_text(
        json.dumps({"mcpServers": {**servers, "proj": stdio_entry("proj")}})
    )
    code, out = invoke(tmp_path, "--mcp-config", json.dumps({"mcpServers": servers}),
                       "tools", "list", "--json")  # fmt: skip
    assert code == 0, out
    rows = {row["name"]: row for row in json.loads(out[out.index("[") :])}
    assert {"mcp__good__echo", "mcp__good__add"} <= set(rows)
    assert rows["mcp__good__echo"]["source"] == "mcp"
    assert rows["mcp__broken__*"]["state"] == "error"
    assert "failed" in rows["mcp__broken__*"]["description"]
    assert "skipped" in rows["mcp__proj__*"]["description"]
    assert not any(name.startswith("mcp__proj__") and name != "mcp__proj__*" for name in rows)
    code, out = invoke(tmp_path, "--mcp-config", json.dumps({"mcpServers": servers}),
                       "tools", "show", "mcp__good__add", "--json")  # fmt: skip
    shown = json.loads(out[out.index("{") :])
    assert code == 0 and set(shown["input_schema"]["properties"]) == {"a", "b"}


def test_instructions_lists_the_agents_and_claude_files_in_effect(tmp_path: Path) -> None:
    project = tmp_path / "home" / "project"
    (project / "sub").mkdir(parents=True)
    (project / "AGENTS.md").write_text("Use pytest.\n")
    (project / "sub" / "CLAUDE.md").write_text("Be brief.\n")
    code, out = invoke(project / "sub", "instructions", "--json")
    paths = [row["path"] for row in json.loads(out)["instructions"]]
    assert code == 0 and paths == [str(project / "AGENTS.md"), str(project / "sub" / "CLAUDE.md")]
