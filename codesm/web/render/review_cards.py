"""Approval and proposed-change cards in the transcript: requested, decided, applied, rejected,
undone and redone. A mixin of `SessionRenderer` (live.py), which owns the turns."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup

from codesm.agent.events import (
    ApprovalDecided,
    ApprovalRequested,
    ChangeApplied,
    ChangeProposed,
    ChangeRedone,
    ChangeRejected,
    ChangeUndone,
)
from codesm.web.render.diff import DiffLayout
from codesm.web.render.oob import append_to
from codesm.web.render.view import ApprovalView, ChangeView, TurnView, dom_id


class ReviewCards:
    m: Any
    diff_layout: DiffLayout
    turns: dict[str, TurnView]
    approvals: dict[str, ApprovalView]
    changes: dict[str, ChangeView]

    def _turn(self, turn_id: str | None) -> TurnView | None:
        raise NotImplementedError

    def _close_message(self, turn: TurnView, out: list[str] | None) -> None:
        raise NotImplementedError

    def _emit(self, out: list[str] | None, make: Callable[[], str | Markup]) -> None:
        raise NotImplementedError

    def change_card(self, change_id: str) -> tuple[ChangeView, TurnView] | None:
        """A change shown in the transcript and the turn that holds it."""
        change = self.changes.get(change_id)
        turn = self._owner_of(change) if change is not None else None
        return (change, turn) if change is not None and turn is not None else None

    def _owner_of(self, change: ChangeView) -> TurnView | None:
        return next((t for t in self.turns.values() if change in t.items), None)

    def _change_proposed(self, event: ChangeProposed, out: list[str] | None) -> None:
        turn = self._turn(event.turn_id)
        assert turn is not None
        self._close_message(turn, out)
        change = ChangeView(
            dom_id("change", event.change_id), event.change_id, event.call_id,
            event.paths, event.diff, layout=self.diff_layout,
        )  # fmt: skip
        self.changes[event.change_id] = change
        turn.items.append(change)
        self._emit(out, lambda: append_to(f"{turn.dom}-body", self.m.change(change, turn)))

    def _change_undone(self, event: ChangeUndone | ChangeRedone, out: list[str] | None) -> None:
        undone = self.changes.get(event.change_id)
        if undone is None:
            return
        undone.status = "undone" if isinstance(event, ChangeUndone) else "applied"
        holder = self.turns.get(event.turn_id or "") or self._owner_of(undone)
        if holder is not None and undone in holder.items:
            self._emit(out, lambda: self.m.change(undone, holder))

    def _approval_requested(self, event: ApprovalRequested, out: list[str] | None) -> None:
        turn = self._turn(event.turn_id)
        assert turn is not None
        self._close_message(turn, out)
        approval = ApprovalView(
            dom_id("approval", event.call_id), event.call_id, event.kind, event.title,
            event.detail, event.reason, event.change_id,
        )  # fmt: skip
        self.approvals[event.call_id] = approval
        change = self.changes.get(event.change_id) if event.change_id else None
        if change is not None:
            change.approval = approval
            self._emit(out, lambda: self.m.change(change, turn))
            return
        turn.items.append(approval)
        self._emit(out, lambda: append_to(f"{turn.dom}-body", self.m.approval(approval, turn)))

    def _approval_decided(self, event: ApprovalDecided, out: list[str] | None) -> None:
        approval = self.approvals.get(event.call_id)
        turn = self._turn(event.turn_id)
        if approval is None or turn is None:
            return
        approval.decision = event.decision
        approval.comment = event.comment
        approval.source = event.source
        change = self.changes.get(approval.change_id) if approval.change_id else None
        if change is not None and change.approval is approval:
            self._emit(out, lambda: self.m.change(change, turn))
        else:
            self._emit(out, lambda: self.m.approval(approval, turn))

    def _change_outcome(self, event: ChangeApplied | ChangeRejected, out: list[str] | None) -> None:
        change = self.changes.get(event.change_id)
        turn = self._turn(event.turn_id)
        if change is None and isinstance(event, ChangeApplied):  # a command's file changes
            self.changes[event.change_id] = ChangeView(
                dom_id("change", event.change_id), event.change_id, event.call_id,
                event.paths, event.diff or "", status="applied", layout=self.diff_layout,
            )  # fmt: skip
            return
        if change is None or turn is None:
            return
        if isinstance(event, ChangeApplied):
            change.status = "applied"
        else:
            change.status = "dry run" if event.reason == "dry_run" else "rejected"
            if event.reason == "conflict":
                change.status = "conflict"
            change.comment = event.comment
        self._emit(out, lambda: self.m.change(change, turn))
