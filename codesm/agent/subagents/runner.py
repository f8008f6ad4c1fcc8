"""Running one subagent: a child session, a child `Agent`, its events, cancellation and cost.

`SubagentRunner.run` creates a child session (`parent_session_id`, `subagent_type`), builds an agent
for it that shares the store, hub, provider factory, change applier and the parent's permission
engine (read-only types get a read-only view of it), runs the prompt, and returns a `TaskResult`.
The parent session gets a `subagent_started` / `subagent_finished` pair carrying the tool call's
`call_id`; the child session has its own, ordinary event log. Approvals inside a subagent are
mirrored into its ancestors (see `guards`). Cancelling (the parent's cancel, or `fail_fast`) stops
the child's provider stream and tool calls; a child that does not stop within a grace period has
its task cancelled. Each of the child's model calls (its own subagents' included) is charged to
the parent turn's budget as it is made and goes through that turn's budget gate, so per-turn cost
limits and `codesm.budget.*` count it at once and a spent budget pauses the whole run. While it
runs, its progress (step, activity, tokens, cost) is reported into the parent session (see
`progress`); it can be steered and stopped on its own (see `child` and `control`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from codesm.agent.agent import Agent, AgentDeps, TurnOutcome
from codesm.agent.events import SubagentFinished, SubagentStarted, SubagentStatus
from codesm.agent.guard import TurnBudget, TurnLimits
from codesm.agent.messages import ToolSpec, UsageReport
from codesm.agent.model_step import usage_event
from codesm.agent.ops import CancelSubagent, SteerSubagent
from codesm.agent.permissions.engine import PermissionEngine
from codesm.agent.providers.registry import AgentMode, ResolvedModel
from codesm.agent.subagents.child import SubagentAgent
from codesm.agent.subagents.control import NOT_RUNNING, control_subagent
from codesm.agent.subagents.guards import (
    ChildApprovalBroker,
    ReadOnlyPermissions,
    mirrors_for_child,
)
from codesm.agent.subagents.progress import ProgressReporter
from codesm.agent.subagents.router import OnUsage, SubagentRouter
from codesm.agent.subagents.tasks import ParentRef, TaskResult, TaskSpec
from codesm.agent.subagents.types import (
    AUTO,
    SUBAGENT_TOOL_NAMES,
    SubagentType,
    choose_model,
    get_type,
)
from codesm.agent.titles import heuristic_title
from codesm.agent.tools.live_registry import LiveToolRegistry, prompt_per_tool_set
from codesm.agent.tools.registry import ToolRegistry, builtin_tools
from codesm.agent.tools.todo_store import InMemoryTodoStore
from codesm.errors import CodesmError
from codesm.store import SessionRecord

if TYPE_CHECKING:
    from codesm.agent.tools.base import ToolContext

log = logging.getLogger(__name__)

DEFAULT_MAX_DEPTH = 2
CANCEL_GRACE_S = 5.0
SUMMARY_CHARS = 300

SystemPromptFactory = Callable[[SubagentType, Sequence[ToolSpec]], str]


@dataclass
class SubagentHost:
    """A session's handle on the runner: its depth and (once built) its agent."""

    runner: SubagentRunner
    session_id: str
    depth: int = 0
    agent: Agent | None = None

    @property
    def can_delegate(self) -> bool:
        return self.depth < self.runner.max_depth

    def parent(self, ctx: ToolContext) -> ParentRef:
        return self.parent_ref(turn_id=ctx.turn_id, call_id=ctx.call_id)

    def parent_ref(self, *, turn_id: str, call_id: str) -> ParentRef:
        agent = self.agent
        if agent is None:
            raise CodesmError(f"session {self.session_id} has no agent to start subagents from")
        return ParentRef(
            session_id=self.session_id,
            turn_id=turn_id,
            call_id=call_id,
            depth=self.depth,
            mode=agent.mode,  # type: ignore[arg-type]
            model=agent.model_name,
            deps=agent.deps,
            approvals=agent.approvals,
            budget=agent.turn_budget,
            interactive=agent.approvals.interactive,
        )


@dataclass
class SubagentRunner:
    """Starts subagents for every session of one workspace; see the module docstring."""

    root: Path
    project_id: str | None = None
    max_depth: int = DEFAULT_MAX_DEPTH
    interactive: bool = True
    system_prompt: SystemPromptFactory | None = None
    router: SubagentRouter | None = None
    agents: dict[str, Agent] = field(default_factory=dict)
    """Live child agents by session id (the runtime's own map, so UIs can send them ops)."""
    cancel_grace_s: float = CANCEL_GRACE_S

    def host(self, session_id: str, *, depth: int = 0, agent: Agent | None = None) -> SubagentHost:
        return SubagentHost(self, session_id, depth, agent)

    async def control(self, session_id: str, op: SteerSubagent | CancelSubagent) -> str | None:
        """Steer or stop a running subagent of `session_id` (any depth); the problem, or None."""
        child = self.agents.get(op.child_session_id)
        if child is None:
            return NOT_RUNNING
        return await control_subagent(self.agents, child.deps.store, session_id, op)

    # --- building child agents ---------------------------------------------------------------

    def tools_for(self, kind: SubagentType, base: ToolRegistry, host: SubagentHost) -> ToolRegistry:
        """`kind`'s allowlist out of `base` (plus toolbox and MCP tools for types that may
        change things), and the subagent tools below the depth limit. A live `base` gives a live
        view: MCP servers that come or go while the subagent runs change its next step too."""
        from codesm.agent.subagents.tools import subagent_tools

        builtin = _builtin_names()

        def allowed(name: str) -> bool:
            if name in SUBAGENT_TOOL_NAMES:
                return False
            return name in kind.tools or (not kind.read_only and name not in builtin)

        delegation = subagent_tools(host) if kind.can_delegate and host.can_delegate else []
        if isinstance(base, LiveToolRegistry):
            return base.narrowed(allowed, after=delegation)
        return ToolRegistry([*(t for t in base if allowed(t.name)), *delegation])

    def build_agent(
        self,
        record: SessionRecord,
        kind: SubagentType,
        *,
        depth: int,
        template: AgentDeps,
        parent: ParentRef | None = None,
        limits: TurnLimits | None = None,
    ) -> SubagentAgent:
        """The agent of a subagent session (also used to reopen one later); `template` is the
        parent's dependencies."""
        permissions: PermissionEngine = template.permissions
        if kind.read_only:
            permissions = ReadOnlyPermissions(permissions)
        host = self.host(record.id, depth=depth)
        tools = self.tools_for(kind, template.tools, host)
        make_prompt = self.system_prompt

        def build_prompt(specs: Sequence[ToolSpec]) -> str:
            if make_prompt is not None:
                return make_prompt(kind, specs)
            return _default_prompt(kind, specs, self.root)

        deps = replace(
            template,
            tools=tools,
            permissions=permissions,
            system_prompt=prompt_per_tool_set(tools, build_prompt),
            limits=limits or replace(template.limits, max_steps=kind.max_steps),
            todos=InMemoryTodoStore(),
            title_with_model=False,
        )
        interactive = parent.interactive if parent is not None else self.interactive
        agent = SubagentAgent(
            deps,
            session_id=record.id,
            root=self.root,
            mode=record.mode,
            model=record.model,
            interactive=interactive,
            agent_name=kind.name,
        )
        if parent is not None and parent.approvals is not None:
            mirrors = mirrors_for_child(
                parent.approvals, parent.session_id, parent.turn_id, parent.call_id
            )
            agent.approvals = ChildApprovalBroker(
                template.hub, record.id, interactive=interactive, mirrors=mirrors
            )
        host.agent = agent
        self.agents[record.id] = agent
        return agent

    async def reopen(self, record: SessionRecord, template: AgentDeps) -> SubagentAgent:
        """An agent for a subagent session opened again later (its parent's turn is over)."""
        depth, parent_id = 1, record.parent_session_id
        while parent_id is not None and depth < 32:
            found = await template.store.sessions.get(parent_id)
            parent_id = found.parent_session_id if found is not None else None
            depth += int(parent_id is not None)
        kind = get_type(record.subagent_type or "researcher")
        return self.build_agent(record, kind, depth=depth, template=template)

    # --- running one task --------------------------------------------------------------------

    async def run(
        self, parent: ParentRef, spec: TaskSpec, *, index: int = 0, cancel: asyncio.Event
    ) -> TaskResult:
        """Run `spec` as a subagent of `parent` to the end; never raises for a failed task."""
        result = TaskResult(index=index, spec=spec, subagent_type=spec.subagent_type)
        started = time.monotonic()
        try:
            await self._run(parent, spec, result, cancel)
        except CodesmError as exc:
            result.status, result.error = "failed", str(exc)
        result.duration_s = time.monotonic() - started
        return result

    async def _run(
        self, parent: ParentRef, spec: TaskSpec, result: TaskResult, cancel: asyncio.Event
    ) -> None:
        if parent.depth >= self.max_depth:
            result.status = "failed"
            result.error = (
                f"subagents cannot start subagents deeper than {self.max_depth} levels; "
                "do this task yourself"
            )
            return
        if cancel.is_set():
            result.status, result.error = "cancelled", "cancelled before it started"
            return
        kind_name = spec.subagent_type
        if kind_name == AUTO:
            if self.router is None:
                self.router = SubagentRouter(parent.deps.models, parent.deps.provider_factory)
            decision = await self.router.route(
                spec.prompt, cancel=cancel, on_usage=self._router_usage(parent, result)
            )
            kind_name = decision.subagent_type
            result.route_reason = f"{decision.reason} ({decision.source})"
        kind = get_type(kind_name)
        result.subagent_type = kind.name
        template = parent.deps
        model, mode = choose_model(
            kind,
            template.models,
            session_model=parent.model,
            session_mode=parent.mode,
            override=spec.model,
        )
        resolved = template.models.resolve(model, mode)
        result.model = resolved.info.id
        record = await self._create_session(parent, kind, spec, model, mode, template)
        result.session_id = record.id
        limits = _child_limits(kind, template.limits, parent.budget)
        agent = self.build_agent(
            record, kind, depth=parent.depth + 1, template=template, parent=parent, limits=limits
        )
        agent.parent_budget = parent.budget  # its calls count against the parent turn's budgets
        await template.hub.publish(
            parent.session_id,
            SubagentStarted(
                turn_id=parent.turn_id,
                call_id=parent.call_id,
                child_session_id=record.id,
                subagent_type=kind.name,
                model=resolved.info.id,
                description=result.description,
                index=result.index,
                depth=parent.depth + 1,
                route_reason=result.route_reason,
            ),
        )
        result.status = "running"
        started = time.monotonic()
        reporter = ProgressReporter(
            template.hub, parent.session_id, parent.turn_id, parent.call_id, record.id,
            kind.name, resolved.info.id, result.description, parent.depth + 1,
        )  # fmt: skip
        reporter.start()
        try:
            outcome = await self._drive(agent, spec.prompt, cancel, result)
            await reporter.finish(await template.store.events.last_seq(record.id))
        finally:
            await reporter.close()
            await agent.aclose()
        result.text = outcome.text
        result.status = _status(outcome)
        if result.status != "completed":
            result.error = outcome.reason or outcome.status
        await template.hub.publish(
            parent.session_id,
            SubagentFinished(
                turn_id=parent.turn_id,
                call_id=parent.call_id,
                child_session_id=record.id,
                subagent_type=kind.name,
                model=resolved.info.id,
                status=result.status,
                cost_usd=result.cost_usd,
                duration_s=round(time.monotonic() - started, 3),
                steps=result.steps,
                index=result.index,
                summary=(result.text or result.error or "")[:SUMMARY_CHARS],
                error=result.error,
                input_tokens=reporter.input_tokens,
                output_tokens=reporter.output_tokens,
            ),
        )

    async def _create_session(
        self,
        parent: ParentRef,
        kind: SubagentType,
        spec: TaskSpec,
        model: str | None,
        mode: AgentMode,
        template: AgentDeps,
    ) -> SessionRecord:
        store = template.store
        owner = await store.sessions.get(parent.session_id)
        return await store.sessions.create(
            project_id=owner.project_id if owner is not None else self.project_id,
            title=spec.description or heuristic_title(spec.prompt),
            mode=mode,
            permission_mode=template.permissions.mode,
            model=model,
            parent_session_id=parent.session_id if owner is not None else None,
            subagent_type=kind.name,
        )

    async def _drive(
        self, agent: SubagentAgent, prompt: str, cancel: asyncio.Event, result: TaskResult
    ) -> TurnOutcome:
        """Run the prompt (and any steering that came after its last step, as a follow-up);
        stop the child when `cancel` (its group's) or its own `stopped` is set."""

        def stopping() -> bool:
            return cancel.is_set() or agent.stopped.is_set()

        async def turns() -> TurnOutcome:
            agent.in_task = True
            try:
                outcome = await agent.run_turn(prompt)
                result.cost_usd += outcome.cost_usd
                result.steps += outcome.steps
                while agent.steering_pending and outcome.status == "completed" and not stopping():
                    outcome = await agent.run_turn(agent.take_steering())
                    result.cost_usd += outcome.cost_usd
                    result.steps += outcome.steps
                return outcome
            finally:
                agent.in_task = False

        run = asyncio.create_task(turns())
        stops = {asyncio.create_task(cancel.wait()), asyncio.create_task(agent.stopped.wait())}
        try:
            await asyncio.wait({run, *stops}, return_when=asyncio.FIRST_COMPLETED)
            if not run.done():
                await self._stop(agent, run)
            return await run
        except asyncio.CancelledError:
            await self._stop(agent, run)
            raise
        finally:
            for stop in stops:
                stop.cancel()

    async def _stop(self, agent: SubagentAgent, run: asyncio.Task[TurnOutcome]) -> None:
        deadline = time.monotonic() + self.cancel_grace_s
        while not run.done() and time.monotonic() < deadline:
            agent.cancel()  # again each time: a turn that just started has a fresh cancel event
            await asyncio.wait({run}, timeout=0.1)
        if not run.done():
            log.warning("subagent %s did not stop in time; cancelling it", agent.session_id)
            run.cancel()
            await asyncio.wait({run})

    def _router_usage(self, parent: ParentRef, result: TaskResult) -> OnUsage:
        hub = parent.deps.hub

        async def record(usage: UsageReport, resolved: ResolvedModel) -> None:
            event = usage_event(usage, resolved, turn_id=parent.turn_id or "", agent="router")
            result.cost_usd += event.cost_usd
            if parent.budget is not None:
                parent.budget.charge(event.cost_usd)
            if parent.turn_id:
                await hub.publish(parent.session_id, event)

        return record


@cache
def _builtin_names() -> frozenset[str]:
    return frozenset(t.name for t in builtin_tools())


def _status(outcome: TurnOutcome) -> SubagentStatus:
    if outcome.status == "completed":
        return "completed"
    return "cancelled" if outcome.status == "cancelled" else "failed"


def _child_limits(kind: SubagentType, limits: TurnLimits, budget: TurnBudget | None) -> TurnLimits:
    """The type's step limit; the parent turn's remaining time and cost."""
    seconds, cost = limits.max_seconds, limits.max_cost_usd
    if budget is not None:
        seconds = max(1.0, limits.max_seconds - (time.monotonic() - budget.started))
        if cost is not None:
            cost = max(0.0, cost - budget.cost_usd)
    return TurnLimits(max_steps=kind.max_steps, max_seconds=seconds, max_cost_usd=cost)


def _default_prompt(kind: SubagentType, specs: Sequence[ToolSpec], root: Path) -> str:
    names = ", ".join(spec.name for spec in specs)
    return (
        f"{kind.system_prompt()}\n\nWorking directory: {root}\n"
        f"Tools available: {names}. Paths are relative to the working directory."
    )
