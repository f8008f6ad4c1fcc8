"""A change sink for tools the user runs by hand (`codesm tools use`): every proposal is applied at
once, but through the session's undo journal like an agent's change, and announced as a
`change_applied` event with its diff, so the UIs list it and every undo path can revert it.

No `change_proposed` is published: there is no turn to hold a review card, and the user already
approved the call through the permission engine.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence

from codesm.agent.changes.apply import ChangeApplier
from codesm.agent.changes.model import ChangeOutcome, ProposedChange
from codesm.agent.events import ChangeApplied
from codesm.agent.hub import SessionHub


class JournaledSink:
    """Applies each proposal (or batch, all or nothing) into the journal of the session that
    `session` returns; it is asked for only when a tool first writes."""

    def __init__(
        self,
        *,
        applier: ChangeApplier,
        hub: SessionHub,
        session: Callable[[], Awaitable[str]],
        call_id: str,
    ) -> None:
        self._applier = applier
        self._hub = hub
        self._session = session
        self._call_id = call_id
        self._turn_id = f"manual-{uuid.uuid4().hex[:12]}"
        self.applied: list[str] = []
        """Change ids written, in order."""

    async def propose(self, change: ProposedChange) -> ChangeOutcome:
        return (await self.propose_batch([change]))[0]

    async def propose_batch(self, changes: Sequence[ProposedChange]) -> list[ChangeOutcome]:
        if not changes:
            return []
        session_id = await self._session()
        result = await self._applier.apply(changes, session_id=session_id, call_id=self._call_id)
        if result.status == "conflict":
            moved = ", ".join(result.conflicts)
            comment = f"{moved} changed on disk after the change was proposed."
            return [ChangeOutcome(status="conflict", comment=comment) for _ in changes]
        await self._hub.publish(
            session_id,
            ChangeApplied(
                turn_id=self._turn_id,
                call_id=self._call_id,
                change_id=result.change_id,
                paths=list(result.paths),
                diff="".join(f.diff for f in result.files),
            ),
        )
        self.applied.append(result.change_id)
        written = {f.path: f.written_hash for f in result.files}
        return [ChangeOutcome(status="applied", written_hash=written.get(c.path)) for c in changes]
