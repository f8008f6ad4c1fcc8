"""The review gate between an edit tool and the user's files.

Edit tools propose changes; this sink decides what happens to them for one tool call: published
as `change_proposed`, then (in review) held for the user's answer, which may accept only some
hunks, then applied through the `ChangeApplier` (hash re-check, journal, atomic write, so every
agent edit can be undone) or rejected with the user's comment, which goes back to the model as the
tool result. Dry runs never write.

Hunks are numbered across the whole proposal: for a multi-file change (`propose_batch`) hunk 0 is
the first hunk of the first file, and the numbering continues through the files in order.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Literal

from codesm.agent.approvals import ApprovalAnswer, ApprovalBroker
from codesm.agent.changes.apply import ApplyFailed, ApplyResult, ChangeApplier, unified_diff
from codesm.agent.changes.hunks import apply_hunk_subset, describe_selection
from codesm.agent.changes.model import ChangeOutcome, ProposedChange
from codesm.agent.events import ApprovalRequested, ChangeApplied, ChangeProposed, ChangeRejected
from codesm.agent.hub import SessionHub

GateMode = Literal["apply", "review", "dry_run"]
_MAX_DIFF_IN_COMMENT = 4000


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
        applier: ChangeApplier,
        mode: GateMode,
        reason: str = "",
    ) -> None:
        self._hub = hub
        self._session_id = session_id
        self._turn_id = turn_id
        self._call_id = call_id
        self._approvals = approvals
        self._applier = applier
        self._mode = mode
        self._reason = reason

    async def propose(self, change: ProposedChange) -> ChangeOutcome:
        return (await self.propose_batch([change]))[0]

    async def propose_batch(self, changes: Sequence[ProposedChange]) -> list[ChangeOutcome]:
        """Review and apply several file changes as one: all written or none. Every change gets
        the same outcome."""
        if not changes:
            return []
        change_id = changes[0].change_id if len(changes) == 1 else uuid.uuid4().hex
        paths = [c.path for c in changes]
        diff = "".join(c.diff for c in changes)
        await self._publish(
            ChangeProposed(
                turn_id=self._turn_id,
                call_id=self._call_id,
                change_id=change_id,
                paths=paths,
                diff=diff,
            )
        )
        if self._mode == "dry_run":
            await self._rejected(change_id, "dry_run", None)
            return _same(
                changes,
                ChangeOutcome(
                    status="rejected",
                    comment="Dry run: the change was not written. This is what would have changed.",
                ),
            )
        accepted: list[int] | None = None
        if self._mode == "review":
            answer = await self._approvals.ask(
                ApprovalRequested(
                    turn_id=self._turn_id,
                    call_id=self._call_id,
                    kind="edit",
                    title=_title(changes),
                    detail=diff,
                    reason=self._reason or None,
                    change_id=change_id,
                )
            )
            if not answer.approved:
                await self._rejected(change_id, "user", answer.comment)
                return _same(changes, ChangeOutcome(status="rejected", comment=_rejection(answer)))
            accepted = answer.hunks
        return await self._apply(changes, change_id, accepted)

    async def _apply(
        self, changes: Sequence[ProposedChange], change_id: str, accepted: list[int] | None
    ) -> list[ChangeOutcome]:
        selected, contents, note = _select(changes, accepted)
        if not selected:
            comment = "The user accepted none of the hunks; nothing was written."
            await self._rejected(change_id, "user", comment)
            return _same(changes, ChangeOutcome(status="rejected", comment=comment))
        try:
            result = await self._applier.apply(
                selected,
                session_id=self._session_id,
                contents=contents,
                change_id=change_id,
                call_id=self._call_id,
            )
        except ApplyFailed as exc:
            await self._rejected(change_id, "error", str(exc))
            raise
        if result.status == "conflict":
            comment = (
                f"{', '.join(result.conflicts)} changed on disk after the change was proposed."
            )
            await self._rejected(change_id, "conflict", comment)
            return _same(changes, ChangeOutcome(status="conflict", comment=comment))
        return await self._applied(changes, selected, result, note)

    async def _applied(
        self,
        changes: Sequence[ProposedChange],
        selected: Sequence[ProposedChange],
        result: ApplyResult,
        note: str | None,
    ) -> list[ChangeOutcome]:
        notes = [note] if note else []
        differs: list[str] = []
        as_written = {f.path: f for f in result.files}
        for change in selected:
            written = as_written[change.path]
            if written.formatter:
                notes.append(f"{change.path} was formatted with {written.formatter}.")
            if written.content != change.new_content:
                differs.append(await unified_diff(change.path, change.new_content, written.content))
        if differs:
            text = "".join(differs)
            if len(text) > _MAX_DIFF_IN_COMMENT:
                text = text[:_MAX_DIFF_IN_COMMENT] + "\n[... diff truncated; read the file]\n"
            notes.append(f"Compared with your proposal, the file now differs:\n{text.rstrip()}")
        await self._publish(
            ChangeApplied(
                turn_id=self._turn_id,
                call_id=self._call_id,
                change_id=result.change_id,
                paths=list(result.paths),
                diff="".join(f.diff for f in result.files) if differs else None,
            )
        )
        comment = "\n".join(notes) or None
        outcomes = []
        for change in changes:
            done = as_written.get(change.path)
            if done is None:
                outcomes.append(ChangeOutcome(status="rejected", comment=comment))
            else:
                outcomes.append(
                    ChangeOutcome(status="applied", comment=comment, written_hash=done.written_hash)
                )
        return outcomes

    async def _rejected(
        self,
        change_id: str,
        reason: Literal["user", "conflict", "dry_run", "error"],
        comment: str | None,
    ) -> None:
        await self._publish(
            ChangeRejected(
                turn_id=self._turn_id,
                call_id=self._call_id,
                change_id=change_id,
                reason=reason,
                comment=comment,
            )
        )

    async def _publish(self, event: ChangeProposed | ChangeApplied | ChangeRejected) -> None:
        await self._hub.publish(self._session_id, event)


def _select(
    changes: Sequence[ProposedChange], accepted: list[int] | None
) -> tuple[list[ProposedChange], list[str | None], str | None]:
    """The changes to write and their contents once only the `accepted` hunks are kept."""
    if accepted is None:
        return list(changes), [c.new_content for c in changes], None
    total = sum(max(len(c.hunks), 1) for c in changes)
    chosen = {i for i in accepted if 0 <= i < total}
    if len(chosen) == total:
        return list(changes), [c.new_content for c in changes], None
    selected: list[ProposedChange] = []
    contents: list[str | None] = []
    offset = 0
    for change in changes:
        count = max(len(change.hunks), 1)
        mine = [i - offset for i in chosen if offset <= i < offset + count]
        offset += count
        if not mine:
            continue
        selected.append(change)
        if len(mine) == count or change.new_content is None or change.old_content is None:
            contents.append(change.new_content)
        else:
            contents.append(
                apply_hunk_subset(change.old_content, change.new_content, change.hunks, mine)
            )
    return selected, contents, describe_selection(chosen, total)


def _same(changes: Sequence[ProposedChange], outcome: ChangeOutcome) -> list[ChangeOutcome]:
    return [outcome for _ in changes]


def _title(changes: Sequence[ProposedChange]) -> str:
    if len(changes) == 1:
        c = changes[0]
        return f"{c.kind} {c.path} (+{c.added} -{c.removed})"
    added = sum(c.added for c in changes)
    removed = sum(c.removed for c in changes)
    return f"change {len(changes)} files (+{added} -{removed})"


def _rejection(answer: ApprovalAnswer) -> str:
    if answer.comment:
        return f"The user rejected this change: {answer.comment}"
    return "The user rejected this change."
