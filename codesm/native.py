"""Typed, async facade over the Rust core (`codesm._native`).

The Rust functions release the GIL while they work; here each is run in a worker thread with
`asyncio.to_thread`, so a big grep or walk never stalls the event loop. Errors arrive as Python
builtins (`FileNotFoundError`, `PermissionError`, `NotADirectoryError`, `ValueError`) mapped in one
place on the Rust side. Synchronous callers (the CLI, benchmarks) use `codesm._native` directly.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from typing import Literal

from codesm import _native
from codesm._native import Diff, FileInfo, FuzzyMatch, GrepMatch, GrepResult, Hunk

__all__ = [
    "Diff",
    "FileInfo",
    "FuzzyMatch",
    "GrepMatch",
    "GrepResult",
    "Hunk",
    "diff",
    "fuzzy_find",
    "glob",
    "grep",
    "inspect_file",
    "walk",
]

StrPath = str | os.PathLike[str]


async def walk(
    root: StrPath,
    *,
    hidden: bool = False,
    gitignore: bool = True,
    max_depth: int | None = None,
    follow_links: bool = False,
    globs: Sequence[str] | None = None,
) -> list[str]:
    """Files under `root`, relative and sorted, honouring gitignore rules (see `_native.walk`)."""
    return await asyncio.to_thread(
        _native.walk,
        os.fspath(root),
        hidden=hidden,
        gitignore=gitignore,
        max_depth=max_depth,
        follow_links=follow_links,
        globs=list(globs) if globs is not None else None,
    )


async def list_level(root: StrPath, *, hidden: bool = False) -> tuple[list[str], list[str]]:
    """The folders and files directly inside `root` that ignore rules keep (see `_native`)."""
    return await asyncio.to_thread(_native.list_level, os.fspath(root), hidden=hidden)


async def grep(
    pattern: str,
    root: StrPath,
    *,
    fixed: bool = False,
    ignore_case: bool = False,
    smart_case: bool = False,
    word: bool = False,
    globs: Sequence[str] | None = None,
    hidden: bool = False,
    gitignore: bool = True,
    max_count: int | None = None,
    before: int = 0,
    after: int = 0,
    files_with_matches: bool = False,
    max_results: int | None = None,
    max_line_len: int = 2000,
) -> GrepResult:
    """Search file contents under `root` in parallel (see `_native.grep`)."""
    return await asyncio.to_thread(
        _native.grep,
        pattern,
        os.fspath(root),
        fixed=fixed,
        ignore_case=ignore_case,
        smart_case=smart_case,
        word=word,
        globs=list(globs) if globs is not None else None,
        hidden=hidden,
        gitignore=gitignore,
        max_count=max_count,
        before=before,
        after=after,
        files_with_matches=files_with_matches,
        max_results=max_results,
        max_line_len=max_line_len,
    )


async def glob(
    patterns: str | Sequence[str],
    root: StrPath,
    *,
    gitignore: bool = True,
    hidden: bool = False,
    sort: Literal["path", "mtime"] = "path",
    limit: int | None = None,
) -> list[str]:
    """Files under `root` matching any glob pattern (see `_native.glob`)."""
    pats = patterns if isinstance(patterns, str) else list(patterns)
    return await asyncio.to_thread(
        _native.glob,
        pats,
        os.fspath(root),
        gitignore=gitignore,
        hidden=hidden,
        sort=sort,
        limit=limit,
    )


async def fuzzy_find(
    query: str, root_or_paths: StrPath | Sequence[str], *, limit: int = 50
) -> list[FuzzyMatch]:
    """Rank paths against a fuzzy query, best first (see `_native.fuzzy_find`)."""
    target: str | list[str]
    if isinstance(root_or_paths, str | os.PathLike):
        target = os.fspath(root_or_paths)
    else:
        target = list(root_or_paths)
    return await asyncio.to_thread(_native.fuzzy_find, query, target, limit=limit)


async def diff(
    old: str, new: str, *, context: int = 3, old_label: str = "a", new_label: str = "b"
) -> Diff:
    """Unified diff and structured hunks of two texts (see `_native.diff`)."""
    return await asyncio.to_thread(
        _native.diff, old, new, context=context, old_label=old_label, new_label=new_label
    )


async def inspect_file(path: StrPath) -> FileInfo:
    """Size, binary/text, encoding, line endings and line count of one file."""
    return await asyncio.to_thread(_native.inspect_file, os.fspath(path))
