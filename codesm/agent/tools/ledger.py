"""What the agent has read, so that edits to files it never saw (or that moved on) are refused."""

from __future__ import annotations

from pathlib import Path


class ReadLedger:
    """Maps a confined absolute path to the sha256 of the file's bytes when the agent last saw
    them (by reading it, or by a change it made that was applied).

    Staleness is decided by content hash, never by mtime: a touch that rewrites the same bytes is
    not a change, and an edit within the same mtime tick still is.
    """

    def __init__(self) -> None:
        self._hashes: dict[Path, str] = {}

    def record(self, path: Path, digest: str) -> None:
        self._hashes[path] = digest

    def get(self, path: Path) -> str | None:
        return self._hashes.get(path)

    def forget(self, path: Path) -> None:
        self._hashes.pop(path, None)

    def __contains__(self, path: object) -> bool:
        return path in self._hashes

    def __len__(self) -> int:
        return len(self._hashes)
