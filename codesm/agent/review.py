"""The review gate between an edit tool and the user's files.

Edit tools propose changes; this sink decides what happens to each one for one tool call:
published as `change_proposed`, then (in review) held for the user's answer, then applied with
`ApplyImmediatelySink` (hash re-check, atomic write) or rejected with the user's comment, which
goes back to the model as the tool result. Dry runs never write.
"""

from __future__ import annotations

from typing import Literal

from codesm.agent.approvals import ApprovalAnswer, ApprovalBroker
from codesm.agent.changes.immediate import ApplyImmediatelySink
from codesm.agent.changes.model import ChangeOutcome, ProposedChange
from codesm.agent.events import ApprovalRequested, ChangeApplied, ChangeProposed, ChangeRejected
from codesm.agent.hub import SessionHub

GateMode = Literal["apply", "review", "dry_run"]


class ReviewGate:
    """A `ChangeSink` for one tool call."""

    def __init__(
        self,
        *,
        hub: SessionHub,
        session_id: str,
        turn_id: str,
        call_id: str,
        approvals: ApprovalBroker,
        mode: GateMode,
        reason: str = "",
    ) -> None:
        self._hub = hub
        self._session_id = session_id
        self._turn_id = turn_id
        self._call_id = call_id
        self._approvals = approvals
        self._mode = mode
        self._reason = reason
        self._writer = ApplyImmediatelySink()

    async def propose(self, change: ProposedChange) -> ChangeOutcome:
        await self._publish(
            ChangeProposed(
                turn_id=self._turn_id,
                call_id=self._call_id,
                change_id=change.change_id,
                paths=[change.path],
                diff=change.diff,
            )
        )
        if self._mode == "dry_run":
            await self._rejected(change, "dry_run", None)
            return ChangeOutcome(
                status="rejected",
                comment="Dry run: the change was not written. This is what would have changed.",
            )
        if self._mode == "review":
            answer = await self._approvals.ask(
                ApprovalRequested(
                    turn_id=self._turn_id,
                    call_id=self._call_id,
                    kind="edit",
                    title=f"{change.kind} {change.path} (+{change.added} -{change.removed})",
                    detail=change.diff,
                    reason=self._reason or None,
                    change_id=change.change_id,
                )
            )
            if not answer.approved:
                await self._rejected(change, "user", answer.comment)
                return ChangeOutcome(status="rejected", comment=_rejection_text(answer))
        outcome = await self._writer.propose(change)
        if outcome.status == "applied":
            await self._publish(
                ChangeApplied(
                    turn_id=self._turn_id,
                    call_id=self._call_id,
                    change_id=change.change_id,
                    paths=[change.path],
                )
            )
        else:
            await self._rejected(change, "conflict", outcome.comment)
        return outcome

    async def _rejected(
        self,
        change: ProposedChange,
        reason: Literal["user", "conflict", "dry_run"],
        comment: str | None,
    ) -> None:
        await self._publish(
            ChangeRejected(
                turn_id=self._turn_id,
                call_id=self._call_id,
                change_id=change.change_id,
                reason=reason,
                comment=comment,
            )
        )

    async def _publish(self, event: ChangeProposed | ChangeApplied | ChangeRejected) -> None:
        await self._hub.publish(self._session_id, event)


def _rejection_text(answer: ApprovalAnswer) -> str:
    if answer.comment:
        return f"The user rejected this change: {answer.comment}"
    return "The user rejected this change."
