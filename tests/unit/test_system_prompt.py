from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest

from codesm.agent.instructions import MAX_INSTRUCTION_BYTES, find_instructions
from codesm.agent.messages import ToolSpec
from codesm.agent.system_prompt import build_system_prompt, git_status_summary


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    home = tmp_path / "home"
    (home / "proj" / "pkg").mkdir(parents=True)
    return home


def test_instructions_are_collected_from_workspace_up_to_home(home: Path) -> None:
    (home / "AGENTS.md").write_text("home rules")
    (home / "proj" / "AGENTS.md").write_text("project rules")
    (home / "proj" / "pkg" / "CLAUDE.md").write_text("package rules")
    found = find_instructions(home / "proj" / "pkg", home=home)
    assert [f.text for f in found] == ["home rules", "project rules", "package rules"]


def test_agents_md_is_preferred_over_claude_md_in_one_folder(home: Path) -> None:
    (home / "proj" / "AGENTS.md").write_text("agents")
    (home / "proj" / "CLAUDE.md").write_text("claude")
    found = find_instructions(home / "proj", home=home)
    assert [f.text for f in found] == ["agents"]


def test_global_agents_md_comes_first(home: Path, tmp_path: Path) -> None:
    (tmp_path / "config" / "codesm").mkdir(parents=True)
    (tmp_path / "config" / "codesm" / "AGENTS.md").write_text("global")
    (home / "proj" / "AGENTS.md").write_text("project")
    found = find_instructions(home / "proj", home=home)
    assert [f.text for f in found] == ["global", "project"]


def test_folders_above_home_are_not_read(home: Path, tmp_path: Path) -> None:
    (tmp_path / "AGENTS.md").write_text("outside home")
    assert find_instructions(home / "proj", home=home) == []


def test_huge_instruction_file_is_capped_and_flagged(home: Path) -> None:
    (home / "proj" / "AGENTS.md").write_text("x" * (MAX_INSTRUCTION_BYTES + 10))
    [found] = find_instructions(home / "proj", home=home)
    assert found.truncated
    assert len(found.text) == MAX_INSTRUCTION_BYTES


def test_system_prompt_holds_environment_tools_and_instructions(home: Path) -> None:
    (home / "proj" / "AGENTS.md").write_text("Use tabs.")
    prompt = build_system_prompt(
        workspace=home / "proj",
        tools=[ToolSpec(name="read", description="Read a file", input_schema={})],
        instructions=find_instructions(home / "proj", home=home),
        today=dt.date(2026, 11, 25),
        git_status="## main",
    )
    assert f"Working directory: {home / 'proj'}" in prompt
    assert "Date: 2026-11-25" in prompt
    assert "## main" in prompt
    assert "Tools available: read." in prompt
    assert "Use tabs." in prompt


def test_git_status_summary_outside_a_repository(tmp_path: Path) -> None:
    assert git_status_summary(tmp_path) == "not a git repository"


def test_git_status_summary_lists_changed_files(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main", str(tmp_path)], check=True)
    (tmp_path / "new.txt").write_text("x")
    summary = git_status_summary(tmp_path)
    assert summary.startswith("## ")
    assert "?? new.txt" in summary
