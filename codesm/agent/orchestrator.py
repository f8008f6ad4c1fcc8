"""The programmatic subagent API: run subagents from Python, outside a model's tool call.

    results = await spawn_parallel_subagents(
        tasks=[("researcher", "Find all database queries", "Find DB queries")],
        directory=Path("."),
        max_concurrent=5,
    )

    async with SubAgentOrchestrator(directory=Path(".")) as orchestrator:
        plan = OrchestrationPlan.staged([
            [orchestrator.create_task("researcher", "Research phase 1", "Research")],
            [orchestrator.create_task("coder", "Implement based on research", "Implement")],
        ])
        stages = await orchestrator.execute_plan(plan)

The subagents are children of one session (a new "orchestration" session unless `session_id` is
given) and run exactly as under the tools: same types, permissions, review and events. Without a
`runtime` one is opened for `directory`, non-interactive (an edit that needs review is denied, as in
`codesm -x`), and closed again. `parent_tools` replaces the tools subagents pick theirs from.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType

from codesm.agent.runtime import Runtime
from codesm.agent.subagents.orchestration import (
    DEFAULT_MAX_CONCURRENT,
    run_parallel,
    run_stages,
)
from codesm.agent.subagents.runner import SubagentRunner
from codesm.agent.subagents.tasks import ParentRef, TaskResult, TaskSpec
from codesm.agent.tools.registry import ToolRegistry

__all__ = [
    "OrchestrationPlan",
    "SubAgentOrchestrator",
    "TaskResult",
    "TaskSpec",
    "spawn_parallel_subagents",
]

TaskLike = TaskSpec | tuple[str, str] | tuple[str, str, str]


def as_spec(task: TaskLike) -> TaskSpec:
    """A `TaskSpec` from a spec or a `(type, prompt[, description])` tuple."""
    if isinstance(task, TaskSpec):
        return task
    return TaskSpec(*task)


@dataclass(frozen=True)
class OrchestrationPlan:
    """Stages run in order; the tasks of a stage run in parallel and see earlier results."""

    stages: tuple[tuple[TaskSpec, ...], ...]
    fail_fast: bool = False
    max_concurrent: int = DEFAULT_MAX_CONCURRENT

    @classmethod
    def staged(
        cls,
        stages: Sequence[Sequence[TaskLike]],
        *,
        fail_fast: bool = False,
        max_concurrent: int = DEFAULT_MAX_CONCURRENT,
    ) -> OrchestrationPlan:
        return cls(
            tuple(tuple(as_spec(t) for t in stage) for stage in stages), fail_fast, max_concurrent
        )

    @classmethod
    def parallel(cls, tasks: Sequence[TaskLike], **options: bool | int) -> OrchestrationPlan:
        return cls.staged([tasks], **options)  # type: ignore[arg-type]


class SubAgentOrchestrator:
    """Runs plans of subagents for one workspace; see the module docstring."""

    def __init__(
        self,
        directory: Path = Path("."),
        parent_tools: ToolRegistry | None = None,
        *,
        runtime: Runtime | None = None,
        session_id: str | None = None,
        max_concurrent: int = DEFAULT_MAX_CONCURRENT,
    ) -> None:
        self.directory = directory
        self.parent_tools = parent_tools
        self.runtime = runtime
        self.session_id = session_id
        self.max_concurrent = max_concurrent
        self.cancel_event = asyncio.Event()
        self._owned: Runtime | None = None

    def create_task(
        self, subagent_type: str, prompt: str, description: str = "", *, model: str | None = None
    ) -> TaskSpec:
        return TaskSpec(subagent_type, prompt, description, model)

    def cancel(self) -> None:
        """Stop every running subagent of this orchestrator."""
        self.cancel_event.set()

    async def execute_plan(self, plan: OrchestrationPlan) -> list[list[TaskResult]]:
        """Run `plan`; results per stage, in plan order."""
        async with self._parent() as (runner, parent):
            done = await run_stages(
                runner,
                parent,
                plan.stages,
                cancel=self.cancel_event,
                max_concurrent=plan.max_concurrent,
                fail_fast=plan.fail_fast,
            )
        return done.stages

    async def run_parallel(
        self, tasks: Sequence[TaskLike], *, fail_fast: bool = False
    ) -> list[TaskResult]:
        async with self._parent() as (runner, parent):
            return await run_parallel(
                runner,
                parent,
                [as_spec(t) for t in tasks],
                cancel=self.cancel_event,
                max_concurrent=self.max_concurrent,
                fail_fast=fail_fast,
            )

    @asynccontextmanager
    async def _parent(self) -> AsyncIterator[tuple[SubagentRunner, ParentRef]]:
        runtime = self.runtime or self._owned
        opened = runtime is None
        if runtime is None:
            runtime = await Runtime.open(self.directory, interactive=False)
        try:
            if self.session_id is None:
                session = await runtime.new_session(labels=("orchestration",))
                await runtime.store.sessions.update(session.id, title="Subagent orchestration")
                self.session_id = session.id
            session = await runtime.store.sessions.require(self.session_id)
            agent = await runtime.agent(session)
            host = runtime.subagents.host(session.id, agent=agent)
            plan_id = f"plan-{uuid.uuid4().hex[:12]}"
            parent = host.parent_ref(turn_id=plan_id, call_id=plan_id)
            if self.parent_tools is not None:
                parent.deps = replace(parent.deps, tools=self.parent_tools)
            yield runtime.subagents, parent
        finally:
            if opened:
                await runtime.aclose()

    async def __aenter__(self) -> SubAgentOrchestrator:
        if self.runtime is None:
            self._owned = await Runtime.open(self.directory, interactive=False)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._owned is not None:
            await self._owned.aclose()
            self._owned = None


async def spawn_parallel_subagents(
    tasks: Sequence[TaskLike],
    *,
    directory: Path = Path("."),
    parent_tools: ToolRegistry | None = None,
    max_concurrent: int = DEFAULT_MAX_CONCURRENT,
    fail_fast: bool = False,
    runtime: Runtime | None = None,
    session_id: str | None = None,
) -> list[TaskResult]:
    """Run `tasks` as parallel subagents and return their results, in order."""
    orchestrator = SubAgentOrchestrator(
        directory,
        parent_tools,
        runtime=runtime,
        session_id=session_id,
        max_concurrent=max_concurrent,
    )
    return await orchestrator.run_parallel(tasks, fail_fast=fail_fast)
