"""The turn loop: prompt -> model step -> tools -> model step ... -> turn finished.

`Agent` runs one session's turns, one at a time, and reacts to ops (cancel, approvals, mode and
model switches). It talks to the world only through the hub (events out) and its injected
provider, tools and permission engine; UIs never see it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from codesm.agent import compaction
from codesm.agent.approvals import ApprovalAnswer, ApprovalBroker
from codesm.agent.budgets import BudgetGate, BudgetKeeper, BudgetLimits, TurnSpend
from codesm.agent.changes.apply import ChangeApplier
from codesm.agent.changes.history import ChangeHistory
from codesm.agent.changes.snapshot import WorkspaceSnapshot
from codesm.agent.context_usage import (
    PromptSection,
    RequestSize,
    calibration_of,
    context_breakdown,
    measure_request,
    step_breakdown,
)
from codesm.agent.events import (
    ApprovalRequested,
    AssistantMessage,
    Attachment,
    ContextReport,
    Error,
    Event,
    ModeChanged,
    ModelChanged,
    PermissionModeChanged,
    StoredEvent,
    Title,
    TurnFinished,
    TurnStarted,
    TurnStatus,
    Usage,
    UserMessage,
)
from codesm.agent.guard import LoopGuard, TurnBudget, TurnLimits
from codesm.agent.hub import SessionHub
from codesm.agent.mentions import attach_mentions
from codesm.agent.messages import (
    MalformedToolCall,
    Message,
    ProviderRequest,
    TextPart,
    ToolCall,
    ToolCallPart,
)
from codesm.agent.model_step import StepResult, run_model_step
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
from codesm.agent.permissions.answers import ProjectAnswers
from codesm.agent.permissions.engine import PermissionEngine
from codesm.agent.providers.base import Provider
from codesm.agent.providers.registry import ModelRegistry, ProviderConfig, ResolvedModel
from codesm.agent.session_log import SessionLog
from codesm.agent.titles import heuristic_title, title_in_background
from codesm.agent.tool_runner import ToolRunner
from codesm.agent.tools.ledger import ReadLedger
from codesm.agent.tools.registry import ToolRegistry
from codesm.agent.tools.todo_store import InMemoryTodoStore, TodoStore
from codesm.errors import CodesmError, ContextOverflowError, ProviderError, StreamInterrupted
from codesm.store import Store
from codesm.store.usage_reports import UsageReports

log = logging.getLogger(__name__)

STREAM_ATTEMPTS = 3


@dataclass(frozen=True)
class TurnOutcome:
    turn_id: str
    status: TurnStatus
    text: str
    reason: str | None = None
    cost_usd: float = 0.0
    steps: int = 0
    budget_exceeded: bool = False
    """Stopped at a spent `codesm.budget.*` limit (headless: `error_max_budget_usd`)."""


@dataclass
class AgentDeps:
    """What an agent needs from the outside world, injected."""

    store: Store
    hub: SessionHub
    models: ModelRegistry
    provider_factory: Callable[[ResolvedModel], Provider]
    tools: ToolRegistry
    permissions: PermissionEngine
    system_prompt: Callable[[], str]
    limits: TurnLimits = field(default_factory=TurnLimits)
    todos: TodoStore = field(default_factory=InMemoryTodoStore)
    title_with_model: bool = False
    """Ask the rush model for a session title in the background (else the heuristic only)."""
    applier: ChangeApplier | None = None
    snapshots: WorkspaceSnapshot | None = None
    project_answers: ProjectAnswers | None = None
    """Snapshots around shell commands (None: bash changes cannot be undone)."""
    budgets: BudgetLimits = field(default_factory=BudgetLimits)
    prompt_sections: tuple[PromptSection, ...] = ()
    """The instruction files and the skills list inside the system prompt, named (so the
    context breakdown can show each)."""
    """Applies and journals edits (default: one on `store` without format-on-save)."""


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
        self._last_prompt_tokens = 0
        self._request_size: RequestSize | None = None
        self._calibration: float | None = None
        self.budgets = BudgetKeeper(deps.budgets, UsageReports(deps.store.db), session_id)
        # Keyed by the whole config: a key stored or replaced while the server runs gets a new
        # client rather than the one holding the old key.
        self._providers: dict[ProviderConfig, Provider] = {}
        self._title_task: asyncio.Task[None] | None = None
        self.turn_budget: TurnBudget | None = None
        """The running (or last) turn's budget."""
        self._live_turn: tuple[str, TurnBudget] | None = None
        """The running turn's id and budget (None between turns)."""
        self.parent_budget: TurnBudget | None = None
        """A subagent's: the budget of the parent turn it runs for (set by its runner); its model
        calls are charged to it and checked by its gate while that turn runs."""
        self._steering: list[str] = []

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
                    await self._publish(Error(message="a turn is already running", kind="busy"))
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
                await self._publish(PermissionModeChanged(permission_mode=op.permission_mode))
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
                await self._publish(await self.context_report())

    async def _undo_or_redo(self, op: UndoChange | RedoChange) -> None:
        problem = await self.changes.undo_or_redo(
            self.session_id, undo=isinstance(op, UndoChange), change_id=op.change_id
        )
        if problem is not None:
            await self._publish(Error(message=problem, kind="undo"))

    def steer(self, text: str) -> None:
        """Add `text` to the running turn's conversation before its next model step (a turn
        whose last step is streaming goes on for one more step to read it)."""
        self._steering.append(text)

    @property
    def steering_pending(self) -> bool:
        return bool(self._steering)

    async def _inject_steering(self, turn_id: str) -> None:
        if self._steering:
            texts, self._steering = self._steering, []
            await self._publish(
                *(UserMessage(turn_id=turn_id, text=t, steering=True) for t in texts)
            )

    async def _attach_mentions(self, prompt: str) -> list[Attachment]:
        """The user's `@path` mentions as attachments (a subagent's prompt comes from a model,
        which reads files with tools instead)."""
        if self.agent_name is not None:
            return []
        mentions = await attach_mentions(self.root, prompt)
        for path, digest in mentions.read.items():
            self.ledger.record(path, digest)
        return mentions.attachments

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
            await self._publish(ModeChanged(mode=mode))  # type: ignore[arg-type]

    async def _set_model(self, model: str) -> None:
        resolved = self.deps.models.resolve(model, self.mode)  # type: ignore[arg-type]
        self.model_name = model
        await self.deps.store.sessions.update(self.session_id, model=model)
        await self._publish(ModelChanged(model=resolved.info.id, provider=resolved.provider.name))

    def _provider(self, resolved: ResolvedModel) -> Provider:
        key = resolved.provider
        if key not in self._providers:
            self._providers[key] = self.deps.provider_factory(resolved)
        return self._providers[key]

    async def aclose(self) -> None:
        """Cancel a running turn, wait for it, and close the provider clients."""
        if self.busy:
            self.cancel()
            await self.wait_idle()
        if self._title_task is not None:
            self._title_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._title_task
        for provider in self._providers.values():
            close = getattr(provider, "aclose", None)
            if close is not None:
                await close()
        self._providers.clear()

    # --- the loop ----------------------------------------------------------------------------

    async def run_turn(self, prompt: str) -> TurnOutcome:
        """Run one user prompt and its tool loop to the end; never raises for a failed turn."""
        self._cancel = asyncio.Event()
        turn_id = uuid.uuid4().hex
        above = self.parent_budget
        inherited = above.gate if above is not None and above.gate is not None else None
        if inherited is not None and not inherited.active:
            above = inherited = None  # the parent's turn is over: this is a turn of its own
        budget = TurnBudget(self.deps.limits, parent=above)
        self.turn_budget = budget  # subagents charge their calls to it (codesm.agent.subagents)
        gate = inherited or BudgetGate(
            self.budgets, TurnSpend(turn_id, budget), self.approvals, self._publish
        )
        budget.gate = gate
        if inherited is not None:
            inherited.on_stop(id(self), self.cancel)
        self._live_turn = (turn_id, budget)
        attachments = await self._attach_mentions(prompt)
        await self._publish(
            TurnStarted(turn_id=turn_id),
            UserMessage(turn_id=turn_id, text=prompt, attachments=attachments),
        )
        try:
            status, reason, text = await self._loop(turn_id, budget, gate)
        except CodesmError as exc:
            status, reason, text = "error", str(exc), ""
            await self._publish(
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
            await self._publish(Error(turn_id=turn_id, message=reason, kind="internal"))
        finally:
            self._live_turn = None
            if inherited is not None:
                inherited.forget(id(self))
            else:
                gate.active = False
        await self._publish(TurnFinished(turn_id=turn_id, status=status, reason=reason))
        await self._maybe_title(prompt, turn_id, budget)
        stopped = gate.spend.stopped is not None
        return TurnOutcome(turn_id, status, text, reason, budget.cost_usd, budget.steps, stopped)

    async def _maybe_title(self, prompt: str, turn_id: str, budget: TurnBudget) -> None:
        """Give an untitled session a title: the heuristic now, a model's in the background."""
        session = await self.deps.store.sessions.get(self.session_id)
        if session is None or session.title:
            return
        await self._set_title(heuristic_title(prompt))
        if self.deps.title_with_model and self._title_task is None:
            try:
                resolved = self.deps.models.resolve(None, "rush")
            except CodesmError:
                return
            provider = self._provider(resolved)

            async def publish(*events: Event) -> list[StoredEvent]:
                return await self._publish(*self._charge_title(events, turn_id, budget))

            self._title_task = asyncio.create_task(
                title_in_background(provider, resolved, prompt, self._set_title, publish, turn_id)
            )

    def _charge_title(
        self, events: Sequence[Event], turn_id: str, budget: TurnBudget
    ) -> list[Event]:
        """The title call's usage belongs to the turn running when it arrives (the title is
        written in the background, often while the next turn runs), else to the turn that asked
        for it: charged to that turn's budget and stored under its id, so turn, session and day
        budgets all count it."""
        if self._live_turn is not None:
            turn_id, budget = self._live_turn
        charged: list[Event] = []
        for event in events:
            if isinstance(event, Usage):
                budget.charge(event.cost_usd)
                event = event.model_copy(update={"turn_id": turn_id})
            charged.append(event)
        return charged

    async def _set_title(self, title: str) -> None:
        await self.deps.store.sessions.update(self.session_id, title=title)
        await self._publish(Title(title=title))

    async def _loop(
        self, turn_id: str, budget: TurnBudget, gate: BudgetGate
    ) -> tuple[TurnStatus, str | None, str]:
        resolved = self.deps.models.resolve(self.model_name, self.mode)  # type: ignore[arg-type]
        provider = self._provider(resolved)
        runner = ToolRunner(
            self.deps.hub,
            self.session_id,
            self.root,
            self.deps.tools,
            self.deps.permissions,
            self.approvals,
            self.ledger,
            self.deps.todos,
            applier=self.applier,
            agent=self.agent_name or "agent",
            snapshots=self.deps.snapshots,
            project_answers=self.deps.project_answers,
        )
        guard = LoopGuard()
        text = ""
        overflow_compacted = False
        while True:
            if self._cancel.is_set():
                return "cancelled", "cancelled by the user", text
            why = budget.exceeded()
            if why is not None:
                return "paused", why, text
            stopped = await gate.check()
            if self._cancel.is_set():
                return "cancelled", "cancelled by the user", text
            if stopped is not None:
                return "paused", f"stopped: {stopped.message()}", text
            await self._inject_steering(turn_id)
            request = await self._request(resolved, turn_id)
            budget.steps += 1
            try:
                step = await self._stream_with_retries(provider, request, resolved, turn_id)
            except ContextOverflowError:
                if overflow_compacted:
                    raise
                overflow_compacted = True
                await self.compact(turn_id=turn_id, provider=provider, resolved=resolved)
                continue
            budget.charge(step.cost_usd)
            await gate.warn()
            if self._cancel.is_set():
                return "cancelled", "cancelled by the user", text
            text = step.text or text
            if not step.tool_calls and not step.malformed:
                if self._steering:  # sent while this step streamed: one more step reads it
                    continue
                return "completed", None, step.text
            calls: list[ToolCall | MalformedToolCall] = [*step.tool_calls, *step.malformed]
            for call in step.tool_calls:
                if guard.observe(call) and not await self._confirm_repeat(turn_id, call):
                    await runner.run_all(turn_id, calls, _set_event())
                    return "paused", f"the same {call.name} call was repeated 3 times", text
            await runner.run_all(turn_id, calls, self._cancel)

    async def _confirm_repeat(self, turn_id: str, call: ToolCall) -> bool:
        answer = await self.approvals.ask(
            ApprovalRequested(
                turn_id=turn_id,
                call_id=call.call_id,
                kind="tool",
                title=f"{call.name} was called 3 times in a row with the same "
                "arguments. Let it continue?",
                reason="loop guard",
            )
        )
        return answer.approved

    async def _stream_with_retries(
        self, provider: Provider, request: ProviderRequest, resolved: ResolvedModel, turn_id: str
    ) -> StepResult:
        for attempt in range(1, STREAM_ATTEMPTS + 1):
            result = StepResult()
            try:
                await run_model_step(
                    provider,
                    request,
                    resolved=resolved,
                    turn_id=turn_id,
                    agent=self.agent_name,
                    publish=self._publish,
                    cancel=self._cancel,
                    result=result,
                )
            except StreamInterrupted as exc:
                await self._publish_assistant(turn_id, result, incomplete=True)
                if attempt == STREAM_ATTEMPTS or self._cancel.is_set():
                    raise ProviderError(
                        f"the response stream broke {attempt} times ({exc}); "
                        "the turn is incomplete",
                        retryable=True,
                    ) from exc
                await self._publish(
                    Error(
                        turn_id=turn_id, message=f"{exc}; retrying", kind="stream", retryable=True
                    )
                )
                continue
            self._last_prompt_tokens = result.prompt_tokens or self._last_prompt_tokens
            cancelled = self._cancel.is_set() and result.stop_reason is None
            if cancelled:
                result.tool_calls, result.malformed = [], []
            output = await self._publish_assistant(turn_id, result, incomplete=cancelled)
            await self._publish_step_context(turn_id, resolved, result, output)
            return result
        raise AssertionError("unreachable")

    async def _publish_step_context(
        self, turn_id: str, resolved: ResolvedModel, step: StepResult, output: AssistantMessage
    ) -> None:
        """After a model step: calibrate the estimate by the prompt size the provider reported,
        and publish what fills the window now (the request just sent plus its answer)."""
        size = self._request_size
        if size is None or not step.prompt_tokens:
            return
        self._calibration = calibration_of(size, step.prompt_tokens)
        answer = Message(
            role="assistant",
            parts=[*output.thinking, TextPart(text=output.text), *output.tool_calls],
        )
        await self._publish(
            step_breakdown(
                size, measure_request("", [answer], []), prompt_tokens=step.prompt_tokens,
                output_tokens=step.output_tokens, model=resolved.info.id,
                context_window=resolved.info.context_window, turn_id=turn_id,
            )
        )  # fmt: skip

    async def _publish_assistant(
        self, turn_id: str, step: StepResult, *, incomplete: bool
    ) -> AssistantMessage:
        calls = [
            ToolCallPart(call_id=c.call_id, name=c.name, arguments=c.arguments)
            for c in step.tool_calls
        ]
        calls += [
            ToolCallPart(call_id=m.call_id, name=m.name, arguments={}) for m in step.malformed
        ]
        message = AssistantMessage(
            turn_id=turn_id,
            text=step.text,
            thinking=step.thinking,
            tool_calls=calls,
            incomplete=incomplete,
            stop_reason=step.stop_reason,
        )
        await self._publish(message)
        return message

    async def _request(self, resolved: ResolvedModel, turn_id: str) -> ProviderRequest:
        messages = await self.history()
        system = self.deps.system_prompt()
        specs = self.deps.tools.specs()
        window, max_out = resolved.info.context_window, resolved.info.max_output
        max_tokens = min(max_out, 32_000)
        # One pass over the history per step: the same measure estimates the context, is the
        # breakdown the UIs show once the usage report arrives, and calibrates the estimate.
        sections = self.deps.prompt_sections
        self._request_size = measure_request(system, messages, specs, sections)
        estimate = max(
            self._last_prompt_tokens, self._request_size.total // compaction.CHARS_PER_TOKEN + 1
        )
        if compaction.needs_compaction(estimate, context_window=window, max_output=max_tokens):
            provider = self._provider(resolved)
            await self.compact(turn_id=turn_id, provider=provider, resolved=resolved)
            messages = await self.history()
            self._request_size = measure_request(system, messages, specs, sections)
        return ProviderRequest(
            model=resolved.info.id,
            system=system,
            messages=messages,
            tools=specs,
            max_tokens=max_tokens,
        )

    async def context_report(self) -> ContextReport:
        """What fills the context window now (the `/context` breakdown), in tokens."""
        resolved = self.deps.models.resolve(self.model_name, self.mode)  # type: ignore[arg-type]
        size = measure_request(
            self.deps.system_prompt(), await self.history(), self.deps.tools.specs(),
            self.deps.prompt_sections,
        )  # fmt: skip
        return context_breakdown(
            size,
            model=resolved.info.id,
            context_window=resolved.info.context_window,
            calibration=self._calibration,
        )

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
        provider = provider or self._provider(resolved)
        event = await compaction.compaction_event(
            provider, resolved=resolved, system=self.deps.system_prompt(),
            tools=self.deps.tools.specs(), events=await self.log.events(), turn_id=turn_id,
            instructions=instructions, cancel=self._cancel, publish=self._publish,
            budget=self.turn_budget if turn_id is not None else None,
        )  # fmt: skip
        if event is not None:
            await self._publish(event)
        self._last_prompt_tokens = 0

    async def history(self) -> list[Message]:
        """The provider-neutral history, derived from the committed log."""
        return await self.log.messages()

    async def _publish(self, *events: Event) -> list[StoredEvent]:
        return await self.deps.hub.publish(self.session_id, *events)


def _set_event() -> asyncio.Event:
    event = asyncio.Event()
    event.set()
    return event


def _kind(exc: CodesmError) -> str:
    return "provider" if isinstance(exc, ProviderError) else type(exc).__name__
