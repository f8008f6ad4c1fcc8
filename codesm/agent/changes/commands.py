"""Journaling what a shell command changed, so `undo` covers the `bash` tool too.

The bash tool takes a `WorkspaceSnapshot` before a command that may write and hands it here
afterwards. The files that differ are journaled like an applied edit (pre-image from the
snapshot, post-image from disk), so undo and redo, with their conflict checks, work on them.
A command that touched too much is not journaled; its snapshot can still be restored whole.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

from codesm.agent.changes.journal import (
    ABSENT,
    ChangeJournal,
    FileImage,
    FileStep,
    JournalEntry,
    read_image,
)
from codesm.agent.changes.snapshot import WorkspaceSnapshot

MAX_JOURNALED_FILES = 200
MAX_JOURNALED_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class CommandChanges:
    """What a command changed: the journal entry (None when nothing changed, or too much did)."""

    before: str
    after: str
    paths: tuple[str, ...]
    entry: JournalEntry | None
    reason: str | None = None
    """Why nothing was journaled although files changed."""


async def journal_command_changes(
    journal: ChangeJournal,
    snapshots: WorkspaceSnapshot,
    *,
    before: str,
    session_id: str,
    call_id: str | None = None,
    tool: str = "bash",
) -> CommandChanges:
    """Compare the workspace with the `before` snapshot and journal the difference as an applied
    change (undo it with `ChangeApplier.undo(entry.change_id)`)."""
    after = await snapshots.snapshot()
    changed = await snapshots.changes(before, after)
    paths = tuple(c.path for c in changed)
    if not changed:
        return CommandChanges(before, after, paths, None)
    if len(changed) > MAX_JOURNALED_FILES:
        reason = f"{len(changed)} files changed; restore the snapshot to undo them"
        return CommandChanges(before, after, paths, None, reason)
    steps: list[FileStep] = []
    total = 0
    for change in changed:
        recorded = await snapshots.read_file(before, change.path)
        old = FileImage(*recorded) if recorded is not None else ABSENT
        abs_path = snapshots.root / change.path
        try:
            new = await asyncio.to_thread(read_image, abs_path)
        except OSError as exc:
            reason = f"{change.path} cannot be journaled ({exc}); restore the snapshot instead"
            return CommandChanges(before, after, paths, None, reason)
        total += len(old.data or b"") + len(new.data or b"")
        steps.append(FileStep(change.path, abs_path, old, new))
    if total > MAX_JOURNALED_BYTES:
        reason = f"{total:,} bytes changed; restore the snapshot to undo them"
        return CommandChanges(before, after, paths, None, reason)
    entry = JournalEntry(
        change_id=uuid.uuid4().hex,
        session_id=session_id,
        call_id=call_id,
        status="applied",
        files=tuple(steps),
        tool=tool,
    )
    await journal.begin(entry)
    return CommandChanges(before, after, paths, entry)
