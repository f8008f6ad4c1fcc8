"""A cloned repository chooses its `AGENTS.md`: as a symlink to a key elsewhere on the machine it
would put that key in every system prompt sent to the provider, and as a FIFO it would hang
codesm at start. An instruction file is read only when it is a regular file whose real path is
inside the folder it was found in."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from codesm.agent.instructions import find_instructions

SECRET = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA\n"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_ed25519").write_text(SECRET)
    (home / "src" / "repo" / "pkg").mkdir(parents=True)
    return home


def texts(workspace: Path, home: Path) -> str:
    return "".join(item.text for item in find_instructions(workspace, home=home))


@pytest.mark.parametrize("where", ["repo", "repo/pkg"])
def test_an_agents_md_symlinked_out_of_its_folder_is_not_read(home: Path, where: str) -> None:
    (home / "src" / where / "AGENTS.md").symlink_to(home / ".ssh" / "id_ed25519")
    assert "PRIVATE KEY" not in texts(home / "src" / "repo" / "pkg", home)


def test_a_claude_md_is_used_when_the_agents_md_is_refused(home: Path) -> None:
    repo = home / "src" / "repo"
    (repo / "AGENTS.md").symlink_to(home / ".ssh" / "id_ed25519")
    (repo / "CLAUDE.md").write_text("Use tabs.\n")
    assert texts(repo, home) == "Use tabs.\n"


def test_a_symlink_within_the_same_folder_is_still_followed(home: Path) -> None:
    repo = home / "src" / "repo"
    (repo / "docs").mkdir()
    (repo / "docs" / "agents.md").write_text("Run the tests with make.\n")
    (repo / "AGENTS.md").symlink_to(repo / "docs" / "agents.md")
    assert texts(repo, home) == "Run the tests with make.\n"


def test_an_agents_md_that_is_a_fifo_is_skipped_without_hanging(home: Path) -> None:
    repo = home / "src" / "repo"
    os.mkfifo(repo / "AGENTS.md")
    (repo / "CLAUDE.md").write_text("Be brief.\n")
    assert texts(repo, home) == "Be brief.\n"
