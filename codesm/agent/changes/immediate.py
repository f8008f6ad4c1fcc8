"""A change sink that applies every proposal at once: for tests and trusted one-shot runs."""

from __future__ import annotations

import os

from codesm.agent.changes.model import ChangeOutcome, ProposedChange, content_hash
from codesm.atomic import atomic_write_bytes, fsync_directory


def _current_hash(change: ProposedChange) -> str | None:
    try:
        return content_hash(change.abs_path.read_bytes())
    except FileNotFoundError:
        return None


class ApplyImmediatelySink:
    """Applies each proposed change as soon as it arrives, atomically, with no review and no undo
    journal. The base hash is re-checked first: a file that changed on disk is a conflict and
    nothing is written. `applied` keeps every change written, in order.
    """

    def __init__(self) -> None:
        self.applied: list[ProposedChange] = []

    async def propose(self, change: ProposedChange) -> ChangeOutcome:
        if _current_hash(change) != change.base_hash:
            return ChangeOutcome(
                status="conflict",
                comment=f"{change.path} changed on disk after the change was proposed.",
            )
        if change.kind == "delete" or change.new_content is None:
            os.unlink(change.abs_path)
            fsync_directory(change.abs_path.parent)
            self.applied.append(change)
            return ChangeOutcome(status="applied")
        data = change.new_content.encode("utf-8", errors="surrogateescape")
        atomic_write_bytes(change.abs_path, data)
        self.applied.append(change)
        return ChangeOutcome(status="applied", written_hash=content_hash(data))
