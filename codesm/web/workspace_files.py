"""The code pane's data: one folder level of the gitignore-aware tree, and file previews.

Every path from a request goes through `resolve_in_workspace` (the one confinement function) and
files are opened with `open_confined`, so a symlink swapped in between cannot redirect a read.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from codesm import native
from codesm.web.file_pages import PAGE_LINES, last_page_offset, read_page
from codesm.web.render.highlight import highlight_lines, lexer_for
from codesm.workspace.paths import relative_to_root, resolve_in_workspace

MAX_TREE_ENTRIES = 1000


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
    total_lines: int = 0
    prev_offset: int | None = None
    next_offset: int | None = None
    """Line offsets of the previous and next pages of a file longer than one page."""


async def tree_level(root: Path, user_path: str) -> tuple[list[TreeEntry], bool]:
    """The folders and files directly inside `user_path` that the walker does not ignore.

    One directory is read, whatever lies below it (a tree request on a 78k-file repository stays
    O(level)). So a folder that is not ignored itself is listed even when every file in it is
    ignored; expanding it shows it empty."""
    directory = resolve_in_workspace(root, user_path or ".", must_exist=True)
    if not directory.is_dir():
        raise NotADirectoryError(user_path)
    base = relative_to_root(root, directory)
    prefix = "" if base == "." else f"{base}/"
    dirs, plain = await native.list_level(directory)
    entries = [TreeEntry(d, prefix + d, True) for d in sorted(dirs, key=str.lower)]
    entries += [TreeEntry(f, prefix + f, False) for f in sorted(plain, key=str.lower)]
    return entries[:MAX_TREE_ENTRIES], len(entries) > MAX_TREE_ENTRIES


async def preview(root: Path, user_path: str, offset: int = 0) -> Preview:
    """A highlighted page of a text file (from line `offset + 1`, the last page if the file is
    shorter), or a description of it."""
    path = resolve_in_workspace(root, user_path, must_exist=True, allow_root=False)
    rel = relative_to_root(root, path)
    if path.is_dir():
        raise IsADirectoryError(user_path)
    info = await native.inspect_file(path)
    size = f"{info.size:,} bytes"
    if info.is_binary:
        return Preview(rel, size, note=f"Binary file ({size}); not shown.")
    if offset >= info.line_count:  # past the end: the last page
        offset = last_page_offset(info.line_count)
    page = await asyncio.to_thread(read_page, root, rel, offset)
    summary = f"{info.line_count:,} lines · {size} · {info.encoding} · {info.line_ending}"
    lines = highlight_lines("\n".join(page.lines), lexer_for(filename=path.name))
    return Preview(
        rel, summary, lines=lines, first_line=offset + 1, more=page.more,
        total_lines=info.line_count,
        prev_offset=max(0, offset - PAGE_LINES) if offset else None,
        next_offset=offset + len(page.lines) if page.more and page.lines else None,
    )  # fmt: skip
