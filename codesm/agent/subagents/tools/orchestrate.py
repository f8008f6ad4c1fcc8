"""`orchestrate`: stages in order, the tasks of each stage in parallel."""

from __future__ import annotations

import time

from pydantic import Field

from codesm.agent.subagents.orchestration import (
    MAX_PARALLEL_TASKS,
    format_report,
    run_stages,
)
from codesm.agent.subagents.runner import SubagentHost
from codesm.agent.subagents.tools.params import TaskParams, check_depth, tool_cancel
from codesm.agent.tools.base import Params, Tool, ToolContext, ToolResult

MAX_STAGES = 10


class OrchestrateParams(Params):
    stages: list[list[TaskParams]] = Field(
        min_length=1,
        max_length=MAX_STAGES,
        description="Stages run one after the other; the tasks of a stage run in parallel "
        f"(1 to {MAX_PARALLEL_TASKS} per stage).",
    )
    max_concurrent: int = Field(default=5, ge=1, le=MAX_PARALLEL_TASKS)
    fail_fast: bool = Field(
        default=False,
        description="On the first failure, cancel its stage's other tasks and skip later stages.",
    )


class OrchestrateTool(Tool[OrchestrateParams]):
    name = "orchestrate"
    params = OrchestrateParams
    dispatches_calls = True

    def __init__(self, host: SubagentHost) -> None:
        self.host = host

    async def run(self, params: OrchestrateParams, ctx: ToolContext) -> ToolResult:
        check_depth(self.host)
        for number, stage in enumerate(params.stages, 1):
            if not 1 <= len(stage) <= MAX_PARALLEL_TASKS:
                return ToolResult(
                    f"Stage {number} has {len(stage)} tasks; give each stage 1 to "
                    f"{MAX_PARALLEL_TASKS}.",
                    is_error=True,
                )
        started = time.monotonic()
        async with tool_cancel(ctx) as cancel:
            done = await run_stages(
                self.host.runner,
                self.host.parent(ctx),
                [[t.spec() for t in stage] for stage in params.stages],
                cancel=cancel,
                max_concurrent=params.max_concurrent,
                fail_fast=params.fail_fast,
            )
        sections = [
            format_report(f"Stage {n}", stage, elapsed_s=sum(r.duration_s for r in stage))
            for n, stage in enumerate(done.stages, 1)
        ]
        head = format_report("orchestrate", done.all, elapsed_s=time.monotonic() - started)
        summary = head.split("\n", 1)[0]
        return ToolResult(
            "\n\n".join([summary, *sections]), is_error=not any(r.ok for r in done.all)
        )
