"""Fuzzy file finding for `@` mentions and quick open, fast enough to run on every keystroke.

Walking a large workspace for each keystroke costs ~100 ms (78k files); a `PathIndex` built once
answers in a few milliseconds. The index is rebuilt in the background once it is older than
`max_age_s` (or after `invalidate()`), while queries keep using the previous one, so typing never
waits for a walk except the very first time.
"""

from __future__ import annotations

import asyncio
import os
import time
import weakref
from pathlib import Path

from codesm._native import FuzzyMatch, PathIndex

DEFAULT_MAX_AGE_S = 3.0


class FileFinder:
    """The fuzzy finder of one workspace root."""

    def __init__(self, root: str | os.PathLike[str], *, max_age_s: float = DEFAULT_MAX_AGE_S):
        self.root = os.fspath(root)
        self.max_age_s = max_age_s
        self._index: PathIndex | None = None
        self._built_at = 0.0
        self._first_build = asyncio.Lock()
        self._refresh: asyncio.Task[None] | None = None

    async def find(self, query: str, *, limit: int = 50) -> list[FuzzyMatch]:
        """Workspace files ranked against `query`, best first (relative paths)."""
        index = await self._current()
        return await asyncio.to_thread(index.find, query, limit=limit)

    def invalidate(self) -> None:
        """Files were added or removed: the next query starts a rebuild."""
        self._built_at = 0.0

    async def _current(self) -> PathIndex:
        if self._index is None:
            async with self._first_build:
                if self._index is None:
                    await self._rebuild()
        elif self._stale() and (self._refresh is None or self._refresh.done()):
            self._refresh = asyncio.create_task(self._rebuild())
        assert self._index is not None
        return self._index

    def _stale(self) -> bool:
        return time.monotonic() - self._built_at > self.max_age_s

    async def _rebuild(self) -> None:
        started = time.monotonic()
        self._index = await asyncio.to_thread(PathIndex.from_root, self.root)
        self._built_at = started


# Per event loop, because a finder's lock and refresh task belong to the loop that made them.
_finders: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, FileFinder]] = (
    weakref.WeakKeyDictionary()
)


def finder_for(root: str | os.PathLike[str]) -> FileFinder:
    """The one finder per resolved workspace root in this event loop, shared by every page and
    prompt it serves."""
    key = str(Path(root).resolve())
    per_root = _finders.setdefault(asyncio.get_running_loop(), {})
    finder = per_root.get(key)
    if finder is None:
        finder = per_root[key] = FileFinder(key)
    return finder
