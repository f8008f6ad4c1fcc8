"""One session's agent: it runs turns, one at a time, and reacts to ops (cancel, approvals,
mode and model switches).

It talks to the world only through the hub (events out) and its injected provider, tools and
permission engine; UIs never see it. A turn's steps run in `turn_loop.TurnLoop`; its budget and
outcome are in `turn`; steering waits in `steering`; the context estimate is `context_gauge`.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from pathlib import Path

from codesm.agent import compaction
from codesm.agent.approvals import ApprovalAnswer, ApprovalBroker
from codesm.agent.budgets import BudgetKeeper
from codesm.agent.changes.apply import ChangeApplier
from codesm.agent.changes.history import ChangeHistory
from codesm.agent.context_gauge import ContextGauge
from codesm.agent.context_usage import measure_request
from codesm.agent.deps import AgentDeps
from codesm.agent.events import (
    Attachment,
    ContextReport,
    Error,
    Event,
    ModeChanged,
    ModelChanged,
    PermissionModeChanged,
    StoredEvent,
    TurnFinished,
    TurnStarted,
    UserMessage,
)
from codesm.agent.guard import TurnBudget
from codesm.agent.mentions import attach_mentions
from codesm.agent.messages import Message
from codesm.agent.ops import (
    Answer,
    Approve,
    Cancel,
    Compact,
    Deny,
    Op,
    RedoChange,
    SetBudget,
    SetMode,
    SetModel,
    SetPermissionMode,
    ShowContext,
    SubmitPrompt,
    UndoChange,
)
from codesm.agent.provider_pool import ProviderPool
from codesm.agent.providers.base import Provider
from codesm.agent.providers.registry import ResolvedModel
from codesm.agent.session_log import SessionLog
from codesm.agent.steering import SteeringQueue
from codesm.agent.titles import SessionTitler
from codesm.agent.tools.ledger import ReadLedger
from codesm.agent.turn import TurnAccount, TurnOutcome
from codesm.agent.turn_loop import TurnLoop
from codesm.errors import CodesmError, ProviderError
from codesm.store.usage_reports import UsageReports

__all__ = ["Agent", "AgentDeps", "TurnOutcome"]

log = logging.getLogger(__name__)


class Agent:
    """One session's agent. `run_turn` runs a prompt to the end; `handle` applies an op."""

    def __init__(
        self,
        deps: AgentDeps,
        *,
        session_id: str,
        root: Path,
        mode: str = "smart",
        model: str | None = None,
        interactive: bool = True,
        agent_name: str | None = None,
    ) -> None:
        self.deps = deps
        self.session_id = session_id
        self.root = root
        self.mode = mode
        self.model_name = model
        self.agent_name = agent_name
        self.approvals = ApprovalBroker(deps.hub, session_id, interactive=interactive)
        self.ledger = ReadLedger()
        self.applier = deps.applier or ChangeApplier.for_store(deps.store)
        self.changes = ChangeHistory(self.applier, hub=deps.hub)
        self._cancel = asyncio.Event()
        self._running: asyncio.Task[TurnOutcome] | None = None
        self.log = SessionLog(deps.store, session_id)
        self.context = ContextGauge()
        self.budgets = BudgetKeeper(deps.budgets, UsageReports(deps.store.db), session_id)
        self.providers = ProviderPool(deps.provider_factory)
        self.turn_budget: TurnBudget | None = None
        """The running (or last) turn's budget."""
        self._live_turn: tuple[str, TurnBudget] | None = None
        """The running turn's id and budget (None between turns)."""
        self.parent_budget: TurnBudget | None = None
        """A subagent's: the budget of the parent turn it runs for (set by its runner); its model
        calls are charged to it and checked by its gate while that turn runs."""
        self.steering = SteeringQueue()
        self.titler = SessionTitler(
            deps, session_id, self.providers, self.publish, lambda: self._live_turn
        )

    # --- ops ---------------------------------------------------------------------------------

    async def handle(self, op: Op) -> None:
        """Apply an op from a UI. `submit_prompt` starts a turn in the background."""
        match op:
            case SubmitPrompt():
                if op.mode:
                    await self._set_mode(op.mode)
                if op.model:
                    await self._set_model(op.model)
                if self.busy:
                    await self.publish(Error(message="a turn is already running", kind="busy"))
                    return
                self._running = asyncio.create_task(self.run_turn(op.text))
            case Cancel():
                self.cancel()
            case Approve():
                answer = ApprovalAnswer(approved=True, hunks=op.hunks, remember=op.remember)
                self.approvals.answer(op.call_id, answer)
            case Deny():
                self.approvals.answer(op.call_id, ApprovalAnswer(False, comment=op.comment))
            case Answer():
                approved = op.decision == "approve"
                self.approvals.answer(op.call_id, ApprovalAnswer(approved, comment=op.comment))
            case SetMode():
                await self._set_mode(op.mode)
            case SetPermissionMode():
                self.deps.permissions.mode = op.permission_mode
                await self.deps.store.sessions.update(
                    self.session_id, permission_mode=op.permission_mode
                )
                await self.publish(PermissionModeChanged(permission_mode=op.permission_mode))
            case SetModel():
                await self._set_model(op.model)
            case Compact():
                if not self.busy:
                    await self.compact(turn_id=None, instructions=op.instructions)
            case UndoChange() | RedoChange():
                await self._undo_or_redo(op)
            case SetBudget():
                self.budgets.set_limit(op.scope, op.usd, self.approvals)
            case ShowContext():
                await self.publish(await self.context_report())

    async def _undo_or_redo(self, op: UndoChange | RedoChange) -> None:
        problem = await self.changes.undo_or_redo(
            self.session_id, undo=isinstance(op, UndoChange), change_id=op.change_id
        )
        if problem is not None:
            await self.publish(Error(message=problem, kind="undo"))

    def steer(self, text: str) -> None:
        """Add `text` to the running turn's conversation before its next model step (a turn
        whose last step is streaming goes on for one more step to read it)."""
        self.steering.add(text)

    @property
    def steering_pending(self) -> bool:
        return self.steering.pending

    @property
    def busy(self) -> bool:
        return self._running is not None and not self._running.done()

    async def wait_idle(self) -> TurnOutcome | None:
        return await self._running if self._running is not None else None

    def cancel(self) -> None:
        """Stop the provider stream, kill running tools, deny pending approvals."""
        self._cancel.set()
        for call_id in self.approvals.pending:
            self.approvals.answer(call_id, ApprovalAnswer(False, comment="cancelled by the user"))

    async def _set_mode(self, mode: str) -> None:
        if mode != self.mode:
            self.mode = mode
            await self.deps.store.sessions.update(self.session_id, mode=mode)  # type: ignore[arg-type]
            await self.publish(ModeChanged(mode=mode))  # type: ignore[arg-type]

    async def _set_model(self, model: str) -> None:
        resolved = self.deps.models.resolve(model, self.mode)  # type: ignore[arg-type]
        self.model_name = model
        await self.deps.store.sessions.update(self.session_id, model=model)
        await self.publish(ModelChanged(model=resolved.info.id, provider=resolved.provider.name))

    async def aclose(self) -> None:
        """Cancel a running turn, wait for it, and close the provider clients."""
        if self.busy:
            self.cancel()
            await self.wait_idle()
        await self.titler.aclose()
        await self.providers.aclose()

    # --- a turn ------------------------------------------------------------------------------

    async def run_turn(self, prompt: str) -> TurnOutcome:
        """Run one user prompt and its tool loop to the end; never raises for a failed turn."""
        self._cancel = asyncio.Event()
        turn_id = uuid.uuid4().hex
        account = TurnAccount.open(
            turn_id,
            limits=self.deps.limits,
            parent=self.parent_budget,
            keeper=self.budgets,
            approvals=self.approvals,
            publish=self.publish,
            owner=id(self),
            stop=self.cancel,
        )
        budget = account.budget
        self.turn_budget = budget  # subagents charge their calls to it (codesm.agent.subagents)
        self._live_turn = (turn_id, budget)
        attachments = await self._attach_mentions(prompt)
        await self.publish(
            TurnStarted(turn_id=turn_id),
            UserMessage(turn_id=turn_id, text=prompt, attachments=attachments),
        )
        try:
            loop = TurnLoop(self, turn_id=turn_id, account=account, cancel=self._cancel)
            status, reason, text = await loop.run()
        except CodesmError as exc:
            status, reason, text = "error", str(exc), ""
            await self.publish(
                Error(
                    turn_id=turn_id,
                    message=str(exc),
                    kind=_kind(exc),
                    retryable=getattr(exc, "retryable", False),
                )
            )
        except Exception as exc:  # a bug must still end the turn visibly
            log.exception("turn %s failed", turn_id)
            status, reason, text = "error", f"internal error: {exc}", ""
            await self.publish(Error(turn_id=turn_id, message=reason, kind="internal"))
        finally:
            self._live_turn = None
            account.close()
        await self.publish(TurnFinished(turn_id=turn_id, status=status, reason=reason))
        await self.titler.after_turn(prompt, turn_id, budget)
        stopped = account.stopped_at_budget
        return TurnOutcome(turn_id, status, text, reason, budget.cost_usd, budget.steps, stopped)

    async def _attach_mentions(self, prompt: str) -> list[Attachment]:
        """The user's `@path` mentions as attachments (a subagent's prompt comes from a model,
        which reads files with tools instead)."""
        if self.agent_name is not None:
            return []
        mentions = await attach_mentions(self.root, prompt, permissions=self.deps.permissions)
        for path, digest in mentions.read.items():
            self.ledger.record(path, digest)
        return mentions.attachments

    # --- history and context -----------------------------------------------------------------

    async def context_report(self) -> ContextReport:
        """What fills the context window now (the `/context` breakdown), in tokens."""
        resolved = self.deps.models.resolve(self.model_name, self.mode)  # type: ignore[arg-type]
        size = measure_request(
            self.deps.system_prompt(), await self.history(), self.deps.tools.specs(),
            self.deps.prompt_sections,
        )  # fmt: skip
        return self.context.report(size, resolved)

    async def compact(
        self,
        *,
        turn_id: str | None,
        instructions: str | None = None,
        provider: Provider | None = None,
        resolved: ResolvedModel | None = None,
    ) -> None:
        """Summarise the history and record a `compaction` event (the `/compact` op, or when the
        context is about to overflow). The current turn is kept verbatim after the summary."""
        resolved = resolved or self.deps.models.resolve(self.model_name, self.mode)  # type: ignore[arg-type]
        provider = provider or self.providers.get(resolved)
        event = await compaction.compaction_event(
            provider, resolved=resolved, system=self.deps.system_prompt(),
            tools=self.deps.tools.specs(), events=await self.log.events(), turn_id=turn_id,
            instructions=instructions, cancel=self._cancel, publish=self.publish,
            budget=self.turn_budget if turn_id is not None else None,
        )  # fmt: skip
        if event is not None:
            await self.publish(event)
        self.context.compacted()

    async def history(self) -> list[Message]:
        """The provider-neutral history, derived from the committed log."""
        return await self.log.messages()

    async def publish(self, *events: Event) -> list[StoredEvent]:
        """Commit `events` to this session's log and send them to its subscribers."""
        return await self.deps.hub.publish(self.session_id, *events)


def _kind(exc: CodesmError) -> str:
    return "provider" if isinstance(exc, ProviderError) else type(exc).__name__
