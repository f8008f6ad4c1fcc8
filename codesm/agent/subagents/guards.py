"""What keeps a subagent inside its role: read-only permissions and approvals its ancestors see.

A read-only subagent (researcher, reviewer, ...) shares the session's `PermissionEngine` (its rules,
its mode, answers remembered during the session) but may not edit at all, and may run a shell
command only when the rules allow it outright as read-only: an `ask` becomes a denial.

A subagent's approval requests are published in its own session, as for any agent, and mirrored
into every ancestor session with the same `call_id` (plus `subagent_session_id` and the ancestor's
own `parent_call_id`), so the parent's UI shows them where the user is. Any of those agents can
answer: the mirrors register the same pending future with the ancestors' brokers, so an `approve`
op sent to the parent session reaches the subagent, and cancelling the parent denies it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from codesm.agent.approvals import ApprovalAnswer, ApprovalBroker
from codesm.agent.events import ApprovalRequested
from codesm.agent.hub import SessionHub
from codesm.agent.permissions.engine import Decision, Mode, PermissionEngine, ToolRequest
from codesm.agent.permissions.rules import Rule


class ReadOnlyPermissions(PermissionEngine):
    """A read-only view of another engine; see the module docstring."""

    def __init__(self, inner: PermissionEngine) -> None:
        # No super().__init__: the mode and rules are the inner engine's, live; decisions are
        # audited by the inner engine.
        self.inner = inner
        self.workspace_root = inner.workspace_root
        self.audit = None

    @property
    def mode(self) -> Mode:
        return self.inner.mode

    @mode.setter
    def mode(self, value: Mode) -> None:
        self.inner.mode = value

    def rules(self) -> list[Rule]:
        return self.inner.rules()

    def remember(
        self, request: ToolRequest, *, scope: Literal["session", "project"]
    ) -> tuple[Rule, ...]:
        return self.inner.remember(request, scope=scope)

    def decide(self, request: ToolRequest) -> Decision:
        kind = request.resolved_kind
        if kind == "edit":
            return Decision("deny", f"the {request.actor} subagent is read-only: it cannot edit")
        decision = self.inner.decide(request)
        if kind != "shell" or decision.action in ("deny", "dry_run"):
            return decision
        strict = self._strict().decide(request)
        if strict.action != "allow":
            return Decision(
                "deny",
                f"the {request.actor} subagent is read-only: only allowlisted read-only "
                f"commands may run ({strict.reason})",
                strict.rule,
                strict.analysis,
            )
        return decision

    def _strict(self) -> PermissionEngine:
        # The same rules judged as in review mode: anything that would ask is not read-only.
        return PermissionEngine(
            self.inner._sets,
            mode="review",
            workspace_root=self.inner.workspace_root,
            include_defaults=False,
        )


@dataclass(frozen=True)
class ApprovalMirror:
    """An ancestor session that shows a subagent's approvals: its broker, its turn, and its tool
    call that (directly or through other subagents) started the asking subagent."""

    broker: ApprovalBroker
    session_id: str
    turn_id: str
    call_id: str


class ChildApprovalBroker(ApprovalBroker):
    """A subagent's broker; see the module docstring."""

    def __init__(
        self,
        hub: SessionHub,
        session_id: str,
        *,
        interactive: bool,
        mirrors: Sequence[ApprovalMirror],
    ) -> None:
        super().__init__(hub, session_id, interactive=interactive)
        self.mirrors = tuple(mirrors)

    async def ask(self, request: ApprovalRequested) -> ApprovalAnswer:
        if not self.interactive or not self.mirrors:
            return await super().ask(request)
        future: asyncio.Future[ApprovalAnswer] = asyncio.get_running_loop().create_future()
        brokers: list[ApprovalBroker] = [self, *(m.broker for m in self.mirrors)]
        for broker in brokers:
            broker._pending[request.call_id] = future
        try:
            await self._hub.publish(self._session_id, request)
            for mirror in self.mirrors:
                copy = request.model_copy(
                    update={
                        "turn_id": mirror.turn_id,
                        "subagent_session_id": self._session_id,
                        "parent_call_id": mirror.call_id,
                    }
                )
                await self._hub.publish(mirror.session_id, copy)
            answer = await future
        finally:
            for broker in brokers:
                if broker._pending.get(request.call_id) is future:
                    del broker._pending[request.call_id]
        decided = self._decided(request, answer)
        await self._hub.publish(self._session_id, decided)
        for mirror in self.mirrors:
            await self._hub.publish(
                mirror.session_id, decided.model_copy(update={"turn_id": mirror.turn_id})
            )
        return answer

    def mirrors_for_child(
        self, session_id: str, turn_id: str, call_id: str
    ) -> list[ApprovalMirror]:
        """The mirrors of a subagent started by this session's tool call `call_id`."""
        return [ApprovalMirror(self, session_id, turn_id, call_id), *self.mirrors]


def mirrors_for_child(
    broker: ApprovalBroker, session_id: str, turn_id: str, call_id: str
) -> list[ApprovalMirror]:
    """The ancestors that show the approvals of a subagent started by `call_id` of `session_id`
    (whose broker is `broker`): that session, then that session's own ancestors."""
    if isinstance(broker, ChildApprovalBroker):
        return broker.mirrors_for_child(session_id, turn_id, call_id)
    return [ApprovalMirror(broker, session_id, turn_id, call_id)]
