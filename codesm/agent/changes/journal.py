"""The undo journal: what every file looked like before and after a change, kept in the store.

A journal entry is written (status `applying`) before the first byte of any file changes, and
holds both images of every file: the content bytes and permission bits, or "absent". That is
what makes a crash harmless (`recover_changes` puts back the side the interrupted step started
from) and what undo and redo write back later, across restarts.

Statuses and the steps between them::

    applying -> applied | rolled_back       (a failure or crash mid-apply rolls back)
    applied  -> undoing -> undone            (a crash mid-undo returns to applied)
    undone   -> redoing -> applied           (a crash mid-redo returns to undone)
"""

from __future__ import annotations

import base64
import contextlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

from codesm.agent.changes.model import content_hash
from codesm.atomic import atomic_write_bytes, fsync_directory
from codesm.store import ChangeRecord, Store

JournalStatus = Literal["applying", "applied", "rolled_back", "undoing", "undone", "redoing"]
IN_FLIGHT: tuple[JournalStatus, ...] = ("applying", "undoing", "redoing")
_FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class FileImage:
    """One side of a file change: its bytes and permission bits, or `data is None` for absent."""

    data: bytes | None
    mode: int | None = None

    @property
    def digest(self) -> str | None:
        return None if self.data is None else content_hash(self.data)

    def to_json(self) -> dict[str, Any]:
        if self.data is None:
            return {"absent": True}
        return {
            "b64": base64.b64encode(self.data).decode("ascii"),
            "mode": self.mode,
            "sha256": self.digest,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileImage:
        if data.get("absent"):
            return cls(None)
        mode = data.get("mode")
        return cls(base64.b64decode(data["b64"]), int(mode) if mode is not None else None)


ABSENT = FileImage(None)


@dataclass(frozen=True, slots=True)
class FileStep:
    """One file of a change: where it is, both images, and the diff as applied."""

    path: str
    abs_path: Path
    before: FileImage
    after: FileImage
    diff: str = ""


@dataclass(frozen=True, slots=True)
class JournalEntry:
    change_id: str
    session_id: str
    call_id: str | None
    status: JournalStatus
    files: tuple[FileStep, ...]
    tool: str = ""

    @property
    def paths(self) -> list[str]:
        return [f.path for f in self.files]


# --- files -------------------------------------------------------------------------------------


def read_image(path: Path) -> FileImage:
    """The file as it is now (`ABSENT` when missing). Raises `IsADirectoryError` and friends."""
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise IsADirectoryError(f"{path} is not a regular file")
            return FileImage(f.read(), stat.S_IMODE(st.st_mode))
    except FileNotFoundError:
        return ABSENT


def current_digest(path: Path) -> str | None:
    try:
        return content_hash(path.read_bytes())
    except FileNotFoundError:
        return None


def write_image(path: Path, image: FileImage) -> None:
    """Make `path` hold `image`: an atomic replace, or an unlink for "absent"."""
    if image.data is None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
            fsync_directory(path.parent)
        return
    atomic_write_bytes(path, image.data, mode=image.mode)


def remove_stale_temp_files(path: Path) -> None:
    """Temp files that a killed writer left next to `path` (see `atomic_write_bytes`)."""
    with contextlib.suppress(OSError):
        for leftover in path.parent.glob(f".{path.name}.*.codesm-tmp"):
            with contextlib.suppress(OSError):
                leftover.unlink()


# --- rows --------------------------------------------------------------------------------------


def _entry(record: ChangeRecord) -> JournalEntry:
    before = {item["path"]: item["before"] for item in (record.pre_images or {}).get("files", [])}
    files = tuple(
        FileStep(
            path=item["path"],
            abs_path=Path(item["abs_path"]),
            before=FileImage.from_json(before[item["path"]]),
            after=FileImage.from_json(item["after"]),
            diff=item.get("diff", ""),
        )
        for item in record.payload.get("files", [])
    )
    return JournalEntry(
        change_id=record.id,
        session_id=record.session_id,
        call_id=record.call_id,
        status=cast(JournalStatus, record.status),
        files=files,
        tool=record.payload.get("tool", ""),
    )


def _is_journal(record: ChangeRecord) -> bool:
    return record.payload.get("journal") == _FORMAT_VERSION


class ChangeJournal:
    """Journal entries in the store's `changes` table (one row per applied change)."""

    def __init__(self, store: Store) -> None:
        self._changes = store.changes

    async def begin(self, entry: JournalEntry) -> None:
        """Record both images of every file, durably, before anything is written."""
        payload = {
            "journal": _FORMAT_VERSION,
            "tool": entry.tool,
            "files": [
                {
                    "path": f.path,
                    "abs_path": str(f.abs_path),
                    "after": f.after.to_json(),
                    "diff": f.diff,
                }
                for f in entry.files
            ],
        }
        pre_images = {
            "files": [{"path": f.path, "before": f.before.to_json()} for f in entry.files]
        }
        await self._changes.insert(
            change_id=entry.change_id,
            session_id=entry.session_id,
            call_id=entry.call_id,
            status=entry.status,
            payload=payload,
            pre_images=pre_images,
        )

    async def set_status(self, change_id: str, status: JournalStatus) -> None:
        await self._changes.update(change_id, status=status)

    async def get(self, change_id: str) -> JournalEntry | None:
        record = await self._changes.get(change_id)
        return _entry(record) if record is not None and _is_journal(record) else None

    async def in_flight(self) -> list[JournalEntry]:
        """Entries a crash interrupted, oldest first, across every session."""
        records = await self._changes.with_status(IN_FLIGHT)
        return [_entry(r) for r in records if _is_journal(r)]

    async def for_session(
        self, session_id: str, status: JournalStatus | None = None
    ) -> list[JournalEntry]:
        """The session's entries, oldest first."""
        records = await self._changes.for_session(session_id, status=status)
        return [_entry(r) for r in records if _is_journal(r)]

    async def last_touched(self, session_id: str, status: JournalStatus) -> JournalEntry | None:
        """The entry with `status` whose status changed most recently."""
        records = await self._changes.for_session(session_id, status=status)
        journal = [r for r in records if _is_journal(r)]
        if not journal:
            return None
        return _entry(max(journal, key=lambda r: (r.updated_at, r.created_at)))
