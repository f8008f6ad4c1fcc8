"""Project instructions: `AGENTS.md` (or `CLAUDE.md` where a folder has no `AGENTS.md`) from the
workspace up to the home directory, plus the user's global `~/.config/codesm/AGENTS.md`."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from codesm import paths

INSTRUCTION_FILES = ("AGENTS.md", "CLAUDE.md")
MAX_INSTRUCTION_BYTES = 64 * 1024


@dataclass(frozen=True)
class InstructionFile:
    path: Path
    text: str
    truncated: bool


def _read_capped(path: Path, inside: Path | None = None) -> InstructionFile | None:
    """The file's text, capped; None unless it is a regular file (a FIFO would block) and, with
    `inside`, its real path is in that folder: a repository picks its AGENTS.md, and a symlink
    to a key elsewhere would put the key in every system prompt."""
    try:
        real = path.resolve()
        if inside is not None and not real.is_relative_to(inside.resolve()):
            return None
        fd = os.open(real, os.O_RDONLY | os.O_CLOEXEC | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        try:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return None
            raw = handle.read(MAX_INSTRUCTION_BYTES + 1)
        except OSError:
            return None
    truncated = len(raw) > MAX_INSTRUCTION_BYTES
    text = raw[:MAX_INSTRUCTION_BYTES].decode("utf-8", errors="replace")
    return InstructionFile(path=path, text=text, truncated=truncated)


def _folders_up(workspace: Path, stop: Path) -> list[Path]:
    """The workspace and its parents up to `stop` (inclusive) when the workspace is under it,
    otherwise just the workspace; outermost first so nearer files can refine farther ones."""
    workspace = workspace.resolve()
    folders = [workspace]
    if workspace.is_relative_to(stop):
        folders = [workspace, *(p for p in workspace.parents if p.is_relative_to(stop))]
    return list(reversed(folders))


def find_instructions(workspace: Path, *, home: Path | None = None) -> list[InstructionFile]:
    """Instruction files in the order they go into the system prompt: global first, then from the
    outermost folder down to the workspace."""
    home = (home or Path.home()).resolve()
    found: list[InstructionFile] = []
    global_file = _read_capped(paths.config_dir() / "AGENTS.md")
    if global_file is not None:
        found.append(global_file)
    for folder in _folders_up(workspace, home):
        for name in INSTRUCTION_FILES:
            item = _read_capped(folder / name, inside=folder)
            if item is not None:
                found.append(item)
                break
    return found
