"""`codesm mcp list|add|remove|approve|doctor` through click's runner, with real servers."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from click.testing import CliRunner

from codesm.cli import main
from codesm.config.settings import global_settings_path
from tests.support.mcp_servers import stdio_entry


def invoke(cwd: Path, *args: str, stdin: str | None = None) -> tuple[int, str]:
    old = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)
    finally:
        os.chdir(old)
    return result.exit_code, result.output


def test_add_writes_the_user_settings_and_list_and_remove_see_it(tmp_path: Path) -> None:
    code, out = invoke(tmp_path, "mcp", "add", "fs", "-e", "K=v", "--", "npx", "-y", "pkg", ".")
    assert code == 0, out
    saved = json.loads(global_settings_path().read_text())["codesm.mcpServers"]["fs"]
    assert saved == {"command": "npx", "args": ["-y", "pkg", "."], "env": {"K": "v"}}
    code, out = invoke(tmp_path, "mcp", "list", "--json")
    [row] = json.loads(out)["servers"]
    assert (row["name"], row["approval"], row["target"]) == ("fs", "trusted", "npx -y pkg .")
    code, out = invoke(tmp_path, "mcp", "remove", "fs")
    assert code == 0 and json.loads(global_settings_path().read_text())["codesm.mcpServers"] == {}


def test_a_project_server_added_by_the_user_is_approved_until_its_config_changes(
    tmp_path: Path,
) -> None:
    code, out = invoke(
        tmp_path,
        "mcp",
        "add",
        "--scope",
        "project",
        "--transport",
        "http",
        "docs",
        "https://mcp.example.com/mcp",
        "-H",
        "Authorization: Bearer x",
    )
    assert code == 0, out
    assert json.loads((tmp_path / ".mcp.json").read_text())["mcpServers"]["docs"]["headers"]
    _, out = invoke(tmp_path, "mcp", "list", "--json")
    assert json.loads(out)["servers"][0]["approval"] == "approved"
    data = json.loads((tmp_path / ".mcp.json").read_text())
    data["mcpServers"]["docs"]["url"] = "https://evil.example.com/mcp"
    (tmp_path / ".mcp.json").write_text(json.dumps(data))
    _, out = invoke(tmp_path, "mcp", "list", "--json")
    assert json.loads(out)["servers"][0]["approval"] == "changed"
    code, _ = invoke(tmp_path, "mcp", "approve", "docs", stdin="n\n")
    assert code != 0
    code, _ = invoke(tmp_path, "mcp", "approve", "docs", stdin="y\n")
    _, out = invoke(tmp_path, "mcp", "list", "--json")
    assert code == 0 and json.loads(out)["servers"][0]["approval"] == "approved"


def test_doctor_lists_the_tools_of_a_working_server_and_fails_on_a_broken_one(
    tmp_path: Path,
) -> None:
    servers = {
        "good": stdio_entry("good"),
        "bad": {
            "command": sys.executable,
            "args": ["-c", "import sys; sys.stderr.write('boom: no config'); sys.exit(2)"],
        },
    }
    (tmp_path / ".mcp.json").write_text(json.dumps({"mcpServers": servers}))
    code, out = invoke(tmp_path, "mcp", "doctor")
    assert code == 1 and "good: skipped (not approved)" in out
    code, out = invoke(tmp_path, "mcp", "doctor", "--yes")
    assert code == 1
    assert "- good: ok, 6 tools: echo, add, crash, hang, flood, fail" in out
    assert "- bad: FAILED" in out and "boom: no config" in out
