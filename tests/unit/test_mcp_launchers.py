"""`--mcp-config` reaches every face: the TUI's runtime (through the same `run_tui` that bare
`codesm` uses) and `codesm web` (before or after the subcommand)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from codesm.cli import main
from codesm.tui.app import CodesmApp
from tests.support.mcp_servers import stdio_entry


def test_the_tuis_runtime_starts_the_servers_of_mcp_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    seen: list[str] = []

    async def fake_run(self: CodesmApp) -> int:
        extensions = self.runtime.extensions
        assert extensions is not None
        seen.extend(tool.name for tool in await extensions.tools())
        return 0

    monkeypatch.setattr(CodesmApp, "run_async", fake_run)
    monkeypatch.setattr("codesm.cli_threads.interactive", lambda: True)
    thread = CliRunner().invoke(main, ["threads", "new"]).output.strip()
    config = json.dumps({"mcpServers": {"extra": stdio_entry("extra")}})
    result = CliRunner().invoke(main, ["--mcp-config", config, "threads", "continue", thread])
    assert result.exit_code == 0, result.output
    assert "mcp__extra__echo" in seen and "mcp__extra__add" in seen


@pytest.mark.parametrize("before", [True, False])
def test_codesm_web_passes_mcp_config_to_the_server(
    before: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, object]] = []

    def fake_serve(workspace: Path, **options: object) -> int:
        calls.append(options)
        return 0

    monkeypatch.setattr("codesm.web.server.serve", fake_serve)
    config = '{"mcpServers": {}}'
    flag = ["--mcp-config", config, "--strict-mcp-config"]
    args = [*flag, "web", str(tmp_path)] if before else ["web", str(tmp_path), *flag]
    result = CliRunner().invoke(main, [*args, "--no-open"])
    assert result.exit_code == 0, result.output
    assert (calls[0]["mcp_config"], calls[0]["strict_mcp_config"]) == (config, True)
