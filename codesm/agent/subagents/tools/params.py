"""Parameters the subagent tools share, and the glue from a tool call to the runner."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Literal

from pydantic import Field

from codesm.agent.subagents.runner import SubagentHost
from codesm.agent.subagents.tasks import TaskSpec
from codesm.agent.tools.base import Params, ToolContext, ToolFailure

SubagentTypeName = Literal[
    "coder", "researcher", "reviewer", "planner", "finder", "oracle", "librarian", "auto"
]


class TaskParams(Params):
    subagent_type: SubagentTypeName = Field(
        description="Which kind of subagent runs the task; `auto` lets a router pick."
    )
    prompt: str = Field(
        min_length=1,
        description="The complete task: the subagent sees nothing else of this conversation.",
    )
    description: str = Field(
        default="", max_length=120, description="A short (3-7 words) label shown to the user."
    )

    def spec(self) -> TaskSpec:
        return TaskSpec(self.subagent_type, self.prompt, self.description)


class SubagentsUnavailable(ToolFailure):
    """A subagent tool was called where no more subagents may start (the depth limit)."""


def check_depth(host: SubagentHost) -> None:
    if not host.can_delegate:
        raise SubagentsUnavailable(
            f"Subagents cannot start subagents deeper than {host.runner.max_depth} levels; "
            "do this work yourself."
        )


@contextlib.asynccontextmanager
async def tool_cancel(ctx: ToolContext) -> AsyncIterator[asyncio.Event]:
    """A cancel event for the subagents of one call: set when the turn is cancelled."""
    event = asyncio.Event()

    async def follow() -> None:
        await ctx.cancel.wait()
        event.set()

    watcher = asyncio.create_task(follow())
    try:
        yield event
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
