"""The subagent tools: `task`, `parallel_tasks`, `orchestrate`, `pipeline`."""

from __future__ import annotations

from typing import Any

from codesm.agent.subagents.runner import SubagentHost
from codesm.agent.subagents.tools.orchestrate import OrchestrateTool
from codesm.agent.subagents.tools.parallel_tasks import ParallelTasksTool
from codesm.agent.subagents.tools.pipeline import PipelineTool
from codesm.agent.subagents.tools.task import TaskTool
from codesm.agent.tools.base import Tool

__all__ = ["OrchestrateTool", "ParallelTasksTool", "PipelineTool", "TaskTool", "subagent_tools"]


def subagent_tools(host: SubagentHost) -> list[Tool[Any]]:
    """The four subagent tools, starting subagents of `host`'s session."""
    return [TaskTool(host), ParallelTasksTool(host), OrchestrateTool(host), PipelineTool(host)]
