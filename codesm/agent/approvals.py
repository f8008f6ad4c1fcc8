"""Pending approvals: the core asks, a UI answers with an op, the waiting tool call goes on.

In a headless run nobody can answer, so an `ask` is turned into a denial the model is told about
at once (`interactive=False`): a run never hangs waiting for a UI that does not exist.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Literal

from codesm.agent.events import ApprovalDecided, ApprovalRequested
from codesm.agent.hub import SessionHub

HEADLESS_DENIAL = (
    "Not approved: this run is non-interactive and the permission settings ask for this action. "
    "Re-run with --dangerously-allow-all or add an allow rule to codesm.permissions."
)


@dataclass(frozen=True)
class ApprovalAnswer:
    approved: bool
    comment: str | None = None
    hunks: list[int] | None = None
    """For edits: the 0-based hunks accepted (None: all of them)."""
    source: Literal["user", "rule", "mode"] = "user"
    remember: Literal["session", "project"] | None = None
    """An "always allow" answer: the asker turns it into allow rules for that scope."""


class ApprovalBroker:
    """Tracks the approvals one session is waiting for, by `call_id`."""

    def __init__(self, hub: SessionHub, session_id: str, *, interactive: bool) -> None:
        self._hub = hub
        self._session_id = session_id
        self.interactive = interactive
        self._pending: dict[str, asyncio.Future[ApprovalAnswer]] = {}

    @property
    def pending(self) -> list[str]:
        return list(self._pending)

    async def ask(self, request: ApprovalRequested) -> ApprovalAnswer:
        """Publish the request and wait for its answer (or deny at once when headless)."""
        if not self.interactive:
            answer = ApprovalAnswer(approved=False, comment=HEADLESS_DENIAL, source="mode")
            await self._hub.publish(self._session_id, request, self._decided(request, answer))
            return answer
        future: asyncio.Future[ApprovalAnswer] = asyncio.get_running_loop().create_future()
        self._pending[request.call_id] = future
        try:
            await self._hub.publish(self._session_id, request)
            answer = await future
        finally:
            self._pending.pop(request.call_id, None)
        await self._hub.publish(self._session_id, self._decided(request, answer))
        return answer

    def answer(self, call_id: str, answer: ApprovalAnswer) -> bool:
        """Resolve a pending approval; False when nothing waits for `call_id`."""
        future = self._pending.get(call_id)
        if future is None or future.done():
            return False
        future.set_result(answer)
        return True

    def _decided(self, request: ApprovalRequested, answer: ApprovalAnswer) -> ApprovalDecided:
        return ApprovalDecided(
            turn_id=request.turn_id,
            call_id=request.call_id,
            decision="approved" if answer.approved else "denied",
            comment=answer.comment,
            source=answer.source,
        )
