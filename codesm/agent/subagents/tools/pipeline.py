"""`pipeline`: subagent steps in order, each fed the previous step's result."""

from __future__ import annotations

import time

from pydantic import Field

from codesm.agent.subagents.orchestration import format_report, run_pipeline
from codesm.agent.subagents.runner import SubagentHost
from codesm.agent.subagents.tasks import TaskSpec
from codesm.agent.subagents.tools.params import SubagentTypeName, check_depth, tool_cancel
from codesm.agent.tools.base import Params, Tool, ToolContext, ToolResult

MAX_STEPS = 10


class PipelineStep(Params):
    subagent_type: SubagentTypeName = Field(description="Which kind of subagent runs the step.")
    prompt_template: str = Field(
        min_length=1,
        description="The step's prompt; `{previous_result}` is replaced by the previous step's "
        "result (the initial context for the first step), `{initial_context}` by the initial "
        "context.",
    )
    description: str = Field(default="", max_length=120, description="A short label.")


class PipelineParams(Params):
    steps: list[PipelineStep] = Field(min_length=1, max_length=MAX_STEPS)
    initial_context: str = Field(default="", description="What the first step starts from.")


class PipelineTool(Tool[PipelineParams]):
    name = "pipeline"
    params = PipelineParams
    dispatches_calls = True

    def __init__(self, host: SubagentHost) -> None:
        self.host = host

    async def run(self, params: PipelineParams, ctx: ToolContext) -> ToolResult:
        check_depth(self.host)
        started = time.monotonic()
        steps = [TaskSpec(s.subagent_type, s.prompt_template, s.description) for s in params.steps]
        async with tool_cancel(ctx) as cancel:
            results = await run_pipeline(
                self.host.runner,
                self.host.parent(ctx),
                steps,
                cancel=cancel,
                initial_context=params.initial_context,
            )
        text = format_report("pipeline", results, elapsed_s=time.monotonic() - started)
        return ToolResult(text, is_error=not results[-1].ok)
