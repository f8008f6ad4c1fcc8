"""`task`: run one subagent and return its report."""

from __future__ import annotations

import time

from codesm.agent.subagents.orchestration import format_report
from codesm.agent.subagents.runner import SubagentHost
from codesm.agent.subagents.tools.params import TaskParams, check_depth, tool_cancel
from codesm.agent.tools.base import Tool, ToolContext, ToolResult


class TaskTool(Tool[TaskParams]):
    name = "task"
    params = TaskParams
    dispatches_calls = True  # the subagent's own calls are each decided by the permissions

    def __init__(self, host: SubagentHost) -> None:
        self.host = host

    async def run(self, params: TaskParams, ctx: ToolContext) -> ToolResult:
        check_depth(self.host)
        started = time.monotonic()
        async with tool_cancel(ctx) as cancel:
            result = await self.host.runner.run(
                self.host.parent(ctx), params.spec(), index=0, cancel=cancel
            )
        text = format_report("task", [result], elapsed_s=time.monotonic() - started)
        return ToolResult(text, is_error=not result.ok, metadata={"session": result.session_id})
