"""Workspace snapshots for changes that bypass the review pipeline (the `bash` tool).

A shadow git repository outside the project (under the data dir, keyed by the workspace path)
records the workspace as a tree object: `git --git-dir=<shadow> --work-tree=<root> add -A` then
`write-tree`. The user's own `.git` is never read or written. The project's `.gitignore` files are
honoured, files over `max_file_bytes` are left out (and so never touched by a restore), and the
snapshot id is the tree's hash. Typical use, around a command that may write::

    snapshots = WorkspaceSnapshot(root)
    before = await snapshots.snapshot()
    ...                                   # run the command
    print(await snapshots.diff(before))   # what it changed
    await snapshots.restore(before)       # put the workspace back
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import subprocess
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

from codesm import paths
from codesm.errors import CodesmError

_T = TypeVar("_T")
MAX_FILE_BYTES = 5 * 1024 * 1024
_GIT_OPTIONS = (
    "-c", "core.autocrlf=false",
    "-c", "core.safecrlf=false",
    "-c", "core.fsmonitor=false",
    "-c", "core.quotepath=false",
    "-c", "core.untrackedCache=false",
    "-c", "core.hooksPath=/dev/null",
    "-c", "gc.auto=0",
    "-c", "advice.addEmbeddedRepo=false",
)  # fmt: skip


class SnapshotError(CodesmError):
    """git is missing, or the shadow repository could not record or restore the workspace."""


@dataclass(frozen=True, slots=True)
class SnapshotChange:
    status: Literal["added", "modified", "deleted"]
    path: str


def shadow_git_dir(root: Path) -> Path:
    """Where the shadow repository of the workspace at `root` lives (outside the workspace)."""
    key = hashlib.sha256(str(root).encode("utf-8", "surrogateescape")).hexdigest()[:24]
    return paths.data_dir() / "snapshots" / key


class WorkspaceSnapshot:
    """Snapshots of one workspace in its shadow repository. Methods are safe to call from
    several tasks: git runs one command at a time per instance."""

    def __init__(
        self,
        root: Path,
        *,
        git_dir: Path | None = None,
        max_file_bytes: int = MAX_FILE_BYTES,
        git: str = "git",
    ) -> None:
        self.root = root.resolve()
        self.git_dir = git_dir or shadow_git_dir(self.root)
        self.max_file_bytes = max_file_bytes
        self._git_exe = git
        self._lock = threading.Lock()

    async def snapshot(self) -> str:
        """Record the workspace now; returns the snapshot id."""
        return await asyncio.to_thread(self._locked, self._snapshot)

    async def changes(self, snapshot_id: str, to: str | None = None) -> list[SnapshotChange]:
        """Files that differ between a snapshot and `to` (default: the workspace now)."""
        return await asyncio.to_thread(self._locked, lambda: self._changes(snapshot_id, to))

    async def diff(self, snapshot_id: str, to: str | None = None) -> str:
        """Unified diff from a snapshot to `to` (default: the workspace now)."""
        return await asyncio.to_thread(self._locked, lambda: self._diff(snapshot_id, to))

    async def restore(self, snapshot_id: str) -> list[str]:
        """Make the workspace match the snapshot (ignored and oversized files stay as they are);
        returns the paths written or removed."""
        return await asyncio.to_thread(self._locked, lambda: self._restore(snapshot_id))

    async def read_file(self, snapshot_id: str, rel: str) -> tuple[bytes, int] | None:
        """A regular file's bytes and mode as a snapshot recorded it (None: absent, or a link)."""
        return await asyncio.to_thread(self._locked, lambda: self._read_file(snapshot_id, rel))

    # --- git ---------------------------------------------------------------------------------

    def _locked(self, work: Callable[[], _T]) -> _T:
        with self._lock:
            return work()

    def _git(self, *args: str, stdin: bytes | None = None) -> bytes:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        env["GIT_CONFIG_NOSYSTEM"] = "1"
        argv = [self._git_exe, *_GIT_OPTIONS, f"--git-dir={self.git_dir}"]
        argv += [f"--work-tree={self.root}", *args]
        try:
            done = subprocess.run(
                argv, cwd=self.root, input=stdin, capture_output=True, env=env, check=False
            )
        except FileNotFoundError as exc:
            raise SnapshotError("git is not installed; workspace snapshots need it") from exc
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip()
            raise SnapshotError(f"git {args[0]} failed in the snapshot repository: {message}")
        return done.stdout

    def _ensure_repository(self) -> None:
        if (self.git_dir / "HEAD").exists():
            return
        self.git_dir.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._git("init", "--quiet")
        (self.git_dir / "codesm-workspace").write_text(f"{self.root}\n")

    def _list(self, *args: str) -> list[str]:
        out = self._git("ls-files", "-z", *args)
        return [os.fsdecode(p) for p in out.split(b"\0") if p]

    def _too_big(self, rel: str) -> bool:
        try:
            st = os.lstat(self.root / rel)
        except OSError:
            return False
        return st.st_size > self.max_file_bytes

    def _snapshot(self) -> str:
        self._ensure_repository()
        untracked = [p for p in self._list("--others", "--exclude-standard") if self._too_big(p)]
        grown = [p for p in self._list("--modified") if self._too_big(p)]
        if grown:
            self._git(
                "rm", "--cached", "-f", "-q", "--ignore-unmatch", "--pathspec-from-file=-",
                "--pathspec-file-nul", stdin=_pathspecs(f":(top,literal){p}" for p in grown),
            )  # fmt: skip
        skipped = {*untracked, *grown}
        self._git(
            "add", "-A", "--ignore-errors", "--pathspec-from-file=-", "--pathspec-file-nul",
            stdin=_pathspecs([":/", *_excluding(skipped)]),
        )  # fmt: skip
        tree = self._git("write-tree").decode().strip()
        if skipped:
            record = self._skipped_file(tree)
            record.parent.mkdir(exist_ok=True)
            record.write_bytes(_pathspecs(sorted(skipped | self._skipped(tree))))
        return tree

    def _skipped_file(self, tree: str) -> Path:
        return self.git_dir / "codesm-skipped" / tree

    def _skipped(self, tree: str) -> set[str]:
        """Oversized files left out of a snapshot: they were there, but their content is not."""
        try:
            data = self._skipped_file(tree).read_bytes()
        except FileNotFoundError:
            return set()
        return {os.fsdecode(p) for p in data.split(b"\0") if p}

    def _compare(self, snapshot_id: str, to: str | None) -> tuple[str, list[str]]:
        """The tree to compare with, and pathspecs leaving out files either side skipped: such a
        file must never be deleted or overwritten on the strength of a missing entry."""
        target = to if to is not None else self._snapshot()
        skipped = self._skipped(snapshot_id) | self._skipped(target)
        return target, ["--", ":/", *_excluding(skipped)]

    def _changes(self, snapshot_id: str, to: str | None) -> list[SnapshotChange]:
        target, spec = self._compare(snapshot_id, to)
        out = self._git(
            "diff-tree", "-r", "-z", "--name-status", "--no-renames", snapshot_id, target, *spec
        )
        fields = [os.fsdecode(f) for f in out.split(b"\0") if f]
        names = {"A": "added", "D": "deleted"}
        return [
            SnapshotChange(names.get(code[0], "modified"), path)  # type: ignore[arg-type]
            for code, path in zip(fields[::2], fields[1::2], strict=True)
        ]

    def _diff(self, snapshot_id: str, to: str | None) -> str:
        target, spec = self._compare(snapshot_id, to)
        out = self._git(
            "diff", "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames",
            snapshot_id, target, *spec,
        )  # fmt: skip
        return out.decode("utf-8", "replace")

    def _restore(self, snapshot_id: str) -> list[str]:
        changes = self._changes(snapshot_id, None)
        for change in changes:
            if change.status == "added":
                self._remove(change.path)
        wanted = [c.path for c in changes if c.status != "added"]
        self._git("read-tree", snapshot_id)
        if wanted:
            self._git("checkout-index", "-f", "-q", "-z", "--stdin", stdin=_pathspecs(wanted))
        return sorted(c.path for c in changes)

    def _read_file(self, snapshot_id: str, rel: str) -> tuple[bytes, int] | None:
        listing = self._git("ls-tree", "-z", snapshot_id, "--", f":(top,literal){rel}")
        if not listing:
            return None
        meta = listing.split(b"\t", 1)[0].split()
        mode, kind, blob = meta[0].decode(), meta[1].decode(), meta[2].decode()
        if kind != "blob" or mode not in ("100644", "100755"):
            return None
        return self._git("cat-file", "blob", blob), 0o755 if mode == "100755" else 0o644

    def _remove(self, rel: str) -> None:
        path = self.root / rel
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        parent = path.parent
        while parent != self.root and parent.is_relative_to(self.root):
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent


def _pathspecs(items: Iterable[str]) -> bytes:
    return b"".join(os.fsencode(item) + b"\0" for item in items)


def _excluding(paths: Iterable[str]) -> list[str]:
    return [f":(top,literal,exclude){p}" for p in sorted(paths)]
