"""Workspace snapshots in a shadow git repository: the user's .git is never touched, .gitignore
is honoured, huge files are left out, and restore puts back exactly what changed."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from codesm.agent.changes.apply import ChangeApplier
from codesm.agent.changes.commands import journal_command_changes
from codesm.agent.changes.journal import ChangeJournal
from codesm.agent.changes.snapshot import SnapshotChange, WorkspaceSnapshot, shadow_git_dir
from codesm.store import Store

pytestmark = pytest.mark.skipif(
    subprocess.run(["git", "--version"], capture_output=True, check=False).returncode != 0,
    reason="git is needed",
)


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.email=t@t", "-c", "user.name=t", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def is_executable(path: Path) -> bool:
    return os.access(path, os.X_OK)


def names_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


@pytest.fixture
def root(tmp_path: Path) -> Path:
    workspace = tmp_path / "ws"
    (workspace / "src").mkdir(parents=True)
    (workspace / ".gitignore").write_text("build/\n")
    (workspace / "src" / "app.py").write_text("print('v1')\n")
    (workspace / "README.md").write_text("readme\n")
    git(workspace, "init", "-q")
    git(workspace, "add", "-A")
    git(workspace, "commit", "-qm", "init")
    return workspace


@pytest.fixture
def snapshots(root: Path, tmp_path: Path) -> WorkspaceSnapshot:
    return WorkspaceSnapshot(root, git_dir=tmp_path / "shadow", max_file_bytes=1000)


async def test_restore_undoes_edits_creations_and_deletions(
    root: Path, snapshots: WorkspaceSnapshot
) -> None:
    before = await snapshots.snapshot()
    (root / "src" / "app.py").write_text("print('v2')\n")
    (root / "README.md").unlink()
    (root / "new" / "deep").mkdir(parents=True)
    (root / "new" / "deep" / "file [1].txt").write_text("x\n")
    restored = await snapshots.restore(before)
    assert restored == ["README.md", "new/deep/file [1].txt", "src/app.py"]
    assert (root / "src" / "app.py").read_text() == "print('v1')\n"
    assert (root / "README.md").read_text() == "readme\n"
    assert not (root / "new").exists()


async def test_changes_and_diff_describe_what_a_command_did(
    root: Path, snapshots: WorkspaceSnapshot
) -> None:
    before = await snapshots.snapshot()
    (root / "src" / "app.py").write_text("print('v2')\n")
    (root / "out.txt").write_text("made\n")
    assert await snapshots.changes(before) == [
        SnapshotChange("added", "out.txt"),
        SnapshotChange("modified", "src/app.py"),
    ]
    diff = await snapshots.diff(before)
    assert "-print('v1')" in diff and "+print('v2')" in diff and "+made" in diff


async def test_the_users_git_repository_is_not_touched(
    root: Path, snapshots: WorkspaceSnapshot
) -> None:
    head = git(root, "rev-parse", "HEAD")
    index = (root / ".git" / "index").read_bytes()
    before = await snapshots.snapshot()
    (root / "src" / "app.py").write_text("print('v2')\n")
    await snapshots.restore(before)
    assert git(root, "rev-parse", "HEAD") == head
    assert (root / ".git" / "index").read_bytes() == index
    assert git(root, "status", "--porcelain") == ""
    assert not git(root, "stash", "list")


async def test_ignored_files_are_neither_recorded_nor_restored(
    root: Path, snapshots: WorkspaceSnapshot
) -> None:
    before = await snapshots.snapshot()
    (root / "build").mkdir()
    (root / "build" / "out.o").write_text("object\n")
    assert await snapshots.restore(before) == []
    assert (root / "build" / "out.o").read_text() == "object\n"


async def test_files_over_the_size_limit_are_skipped_and_never_deleted_or_overwritten(
    root: Path, snapshots: WorkspaceSnapshot
) -> None:
    (root / "big.bin").write_bytes(b"b" * 5000)
    (root / "grows.txt").write_text("small\n")
    before = await snapshots.snapshot()
    (root / "big.bin").write_bytes(b"now small")
    (root / "grows.txt").write_bytes(b"g" * 5000)
    assert await snapshots.changes(before) == []
    await snapshots.restore(before)
    assert (root / "big.bin").read_bytes() == b"now small"
    assert (root / "grows.txt").read_bytes() == b"g" * 5000


async def test_the_shadow_repository_lives_outside_the_workspace_under_the_data_dir(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    snapshots = WorkspaceSnapshot(root)
    await snapshots.snapshot()
    assert snapshots.git_dir == shadow_git_dir(snapshots.root)
    assert snapshots.git_dir.is_relative_to(tmp_path / "data" / "codesm" / "snapshots")
    assert (snapshots.git_dir / "HEAD").exists()
    assert names_in(root) == [".git", ".gitignore", "README.md", "src"]


async def test_two_snapshots_of_an_unchanged_workspace_are_the_same_id(
    snapshots: WorkspaceSnapshot,
) -> None:
    assert await snapshots.snapshot() == await snapshots.snapshot()


async def test_what_a_command_changed_is_journaled_and_can_be_undone_and_redone(
    root: Path, snapshots: WorkspaceSnapshot, tmp_path: Path
) -> None:
    (root / "run.sh").write_text("#!/bin/sh\n")
    (root / "run.sh").chmod(0o755)
    before = await snapshots.snapshot()
    (root / "src" / "app.py").write_text("print('v2')\n")
    (root / "run.sh").unlink()
    (root / "made.txt").write_text("made\n")
    async with await Store.open(tmp_path / "codesm.db") as store:
        session_id = (await store.sessions.create()).id
        applier = ChangeApplier.for_store(store)
        recorded = await journal_command_changes(
            applier.journal, snapshots, before=before, session_id=session_id, call_id="c9"
        )
        assert recorded.entry is not None
        assert recorded.paths == ("made.txt", "run.sh", "src/app.py")
        assert (await applier.undo(recorded.entry.change_id)).status == "undone"
        assert (root / "src" / "app.py").read_text() == "print('v1')\n"
        assert not (root / "made.txt").exists()
        assert is_executable(root / "run.sh")
        assert (await applier.redo(recorded.entry.change_id)).status == "redone"
        assert (root / "made.txt").read_text() == "made\n"


async def test_a_command_that_changed_nothing_journals_nothing(
    snapshots: WorkspaceSnapshot, tmp_path: Path
) -> None:
    before = await snapshots.snapshot()
    async with await Store.open(tmp_path / "codesm.db") as store:
        session_id = (await store.sessions.create()).id
        recorded = await journal_command_changes(
            ChangeJournal(store), snapshots, before=before, session_id=session_id
        )
    assert recorded.entry is None and recorded.paths == ()
