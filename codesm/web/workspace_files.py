"""The code pane's data: one folder level of the gitignore-aware tree, and file previews.

Every path from a request goes through `resolve_in_workspace` (the one confinement function) and
files are opened with `open_confined`, so a symlink swapped in between cannot redirect a read.
"""

from __future__ import annotations

import asyncio
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from codesm import native
from codesm.web.render.highlight import highlight_lines, lexer_for
from codesm.workspace.paths import open_confined, relative_to_root, resolve_in_workspace

MAX_TREE_ENTRIES = 1000
PREVIEW_BYTES = 512 * 1024
PREVIEW_LINES = 2000


@dataclass(frozen=True, slots=True)
class TreeEntry:
    name: str
    path: str
    is_dir: bool


@dataclass(frozen=True, slots=True)
class Preview:
    path: str
    summary: str
    lines: list[Markup] | None = None
    first_line: int = 1
    more: bool = False
    note: str = ""


async def tree_level(root: Path, user_path: str) -> tuple[list[TreeEntry], bool]:
    """The folders and files directly inside `user_path` that the walker does not ignore."""
    directory = resolve_in_workspace(root, user_path or ".", must_exist=True)
    if not directory.is_dir():
        raise NotADirectoryError(user_path)
    base = relative_to_root(root, directory)
    prefix = "" if base == "." else f"{base}/"
    files = await native.walk(directory)
    dirs: dict[str, None] = {}
    plain: list[str] = []
    for rel in files:
        head, sep, _ = rel.partition("/")
        if sep:
            dirs.setdefault(head)
        else:
            plain.append(head)
    entries = [TreeEntry(d, prefix + d, True) for d in sorted(dirs, key=str.lower)]
    entries += [TreeEntry(f, prefix + f, False) for f in sorted(plain, key=str.lower)]
    return entries[:MAX_TREE_ENTRIES], len(entries) > MAX_TREE_ENTRIES


async def preview(root: Path, user_path: str) -> Preview:
    """A highlighted preview of a text file (its first lines), or a description of it."""
    path = resolve_in_workspace(root, user_path, must_exist=True, allow_root=False)
    rel = relative_to_root(root, path)
    if path.is_dir():
        raise IsADirectoryError(user_path)
    info = await native.inspect_file(path)
    size = f"{info.size:,} bytes"
    if info.is_binary:
        return Preview(rel, size, note=f"Binary file ({size}); not shown.")
    data = await asyncio.to_thread(_read_head, root, rel)
    text = data.decode("utf-8", errors="replace")
    all_lines = text.splitlines()
    shown = all_lines[:PREVIEW_LINES]
    more = len(all_lines) > PREVIEW_LINES or len(data) >= PREVIEW_BYTES
    summary = f"{info.line_count:,} lines · {size} · {info.encoding} · {info.line_ending}"
    lines = highlight_lines("\n".join(shown), lexer_for(filename=path.name))
    return Preview(rel, summary, lines=lines, more=more)


def _read_head(root: Path, rel: str) -> bytes:
    fd = open_confined(root, rel, os.O_RDONLY)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise IsADirectoryError(rel)
        return os.read(fd, PREVIEW_BYTES)
    finally:
        os.close(fd)
