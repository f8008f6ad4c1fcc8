"""`parallel_tasks`: run up to 10 subagents concurrently."""

from __future__ import annotations

import time

from pydantic import Field

from codesm.agent.subagents.orchestration import MAX_PARALLEL_TASKS, format_report, run_parallel
from codesm.agent.subagents.runner import SubagentHost
from codesm.agent.subagents.tools.params import TaskParams, check_depth, tool_cancel
from codesm.agent.tools.base import Params, Tool, ToolContext, ToolResult


class ParallelTasksParams(Params):
    tasks: list[TaskParams] = Field(
        min_length=1,
        max_length=MAX_PARALLEL_TASKS,
        description=f"The independent tasks (1 to {MAX_PARALLEL_TASKS}).",
    )
    max_concurrent: int = Field(
        default=5, ge=1, le=MAX_PARALLEL_TASKS, description="How many run at the same time."
    )
    fail_fast: bool = Field(
        default=False, description="Cancel the other tasks as soon as one fails."
    )


class ParallelTasksTool(Tool[ParallelTasksParams]):
    name = "parallel_tasks"
    params = ParallelTasksParams
    dispatches_calls = True

    def __init__(self, host: SubagentHost) -> None:
        self.host = host

    async def run(self, params: ParallelTasksParams, ctx: ToolContext) -> ToolResult:
        check_depth(self.host)
        started = time.monotonic()
        async with tool_cancel(ctx) as cancel:
            results = await run_parallel(
                self.host.runner,
                self.host.parent(ctx),
                [t.spec() for t in params.tasks],
                cancel=cancel,
                max_concurrent=params.max_concurrent,
                fail_fast=params.fail_fast,
            )
        text = format_report("parallel_tasks", results, elapsed_s=time.monotonic() - started)
        return ToolResult(text, is_error=not any(r.ok for r in results))
