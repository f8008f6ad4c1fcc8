"""Start-up repair of changes a crash interrupted, so every file is wholly old or wholly new.

An entry left `applying` is rolled back to its pre-images; one left `undoing` goes back to
`applied` (its post-images), one left `redoing` back to `undone`. Only files that hold one of the
entry's two images are written: a file someone changed since is left alone and reported. Temp
files a killed writer left behind are removed. Run it before any agent runs; it is idempotent.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from codesm.agent.changes.journal import (
    ChangeJournal,
    JournalEntry,
    JournalStatus,
    current_digest,
    remove_stale_temp_files,
    write_image,
)
from codesm.store import Store

log = logging.getLogger(__name__)

_BACK_TO: dict[JournalStatus, tuple[str, JournalStatus]] = {
    "applying": ("before", "rolled_back"),
    "undoing": ("after", "applied"),
    "redoing": ("before", "undone"),
}


@dataclass(frozen=True, slots=True)
class RecoveredChange:
    change_id: str
    session_id: str
    was: JournalStatus
    now: JournalStatus
    restored: tuple[str, ...]
    """Paths written back."""
    left_alone: tuple[str, ...]
    """Paths that held neither image (changed by someone else); not touched."""


def _repair(entry: JournalEntry, side: str) -> tuple[list[str], list[str]]:
    restored: list[str] = []
    left_alone: list[str] = []
    for step in entry.files:
        remove_stale_temp_files(step.abs_path)
        target = step.before if side == "before" else step.after
        digest = current_digest(step.abs_path)
        if digest == target.digest:
            continue
        if digest not in (step.before.digest, step.after.digest):
            left_alone.append(step.path)
            continue
        write_image(step.abs_path, target)
        restored.append(step.path)
    return restored, left_alone


async def recover_changes(store: Store) -> list[RecoveredChange]:
    """Finish every interrupted apply, undo or redo by returning it to where it started."""
    journal = ChangeJournal(store)
    recovered = []
    for entry in await journal.in_flight():
        side, status = _BACK_TO[entry.status]
        restored, left_alone = await asyncio.to_thread(_repair, entry, side)
        await journal.set_status(entry.change_id, status)
        if left_alone:
            log.warning(
                "change %s: %s changed since the crash; left as they are",
                entry.change_id,
                ", ".join(left_alone),
            )
        recovered.append(
            RecoveredChange(
                entry.change_id,
                entry.session_id,
                entry.status,
                status,
                tuple(restored),
                tuple(left_alone),
            )
        )
    return recovered
