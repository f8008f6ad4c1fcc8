"""Undo and redo for UIs: by change id or "the last one" of a session, announced as events.

The journal lives in the store, so an undo works the same after a restart as before it.
"""

from __future__ import annotations

from codesm.agent.changes.apply import ApplyResult, ChangeApplier, UndoUnavailable
from codesm.agent.changes.journal import JournalEntry
from codesm.agent.events import ChangeRedone, ChangeUndone
from codesm.agent.hub import SessionHub
from codesm.errors import CodesmError


class ChangeHistory:
    """Undo/redo of journaled changes; publishes `change_undone` / `change_redone` on `hub`."""

    def __init__(self, applier: ChangeApplier, *, hub: SessionHub | None = None) -> None:
        self._applier = applier
        self._hub = hub

    async def undo(self, change_id: str, *, turn_id: str | None = None) -> ApplyResult:
        """Restore the pre-images of an applied change; `conflict` when a file moved on since."""
        result = await self._applier.undo(change_id)
        await self._announce(result, turn_id)
        return result

    async def redo(self, change_id: str, *, turn_id: str | None = None) -> ApplyResult:
        """Write an undone change again; `conflict` when a file moved on since the undo."""
        result = await self._applier.redo(change_id)
        await self._announce(result, turn_id)
        return result

    async def undo_last(self, session_id: str) -> ApplyResult:
        """Undo the session's most recently applied (or redone) change."""
        entry = await self._applier.journal.last_touched(session_id, "applied")
        if entry is None:
            raise UndoUnavailable("This session has no applied change to undo.")
        return await self.undo(entry.change_id)

    async def redo_last(self, session_id: str) -> ApplyResult:
        """Redo the session's most recently undone change."""
        entry = await self._applier.journal.last_touched(session_id, "undone")
        if entry is None:
            raise UndoUnavailable("This session has no undone change to redo.")
        return await self.redo(entry.change_id)

    async def entries(self, session_id: str) -> list[JournalEntry]:
        """Every journaled change of the session, oldest first, with its status."""
        return await self._applier.journal.for_session(session_id)

    async def _announce(self, result: ApplyResult, turn_id: str | None) -> None:
        if self._hub is None or result.status == "conflict":
            return
        entry = await self._applier.journal.get(result.change_id)
        if entry is None:
            return
        paths = list(result.paths)
        event: ChangeUndone | ChangeRedone
        if result.status == "undone":
            event = ChangeUndone(
                change_id=entry.change_id, paths=paths, call_id=entry.call_id, turn_id=turn_id
            )
        else:
            event = ChangeRedone(
                change_id=entry.change_id, paths=paths, call_id=entry.call_id, turn_id=turn_id
            )
        await self._hub.publish(entry.session_id, event)

    async def undo_or_redo(
        self, session_id: str, *, undo: bool, change_id: str | None
    ) -> str | None:
        """Undo or redo one change (the session's last one when `change_id` is None); returns why
        nothing was written, for the user, or None when it worked."""
        try:
            if change_id is None:
                last = self.undo_last if undo else self.redo_last
                result = await last(session_id)
            else:
                step = self.undo if undo else self.redo
                result = await step(change_id)
        except CodesmError as exc:
            return str(exc)
        if result.status == "conflict":
            what = "undone" if undo else "redone"
            return f"Not {what}: {', '.join(result.conflicts)} changed since; nothing was written."
        return None
