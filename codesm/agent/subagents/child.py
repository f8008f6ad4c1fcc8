"""A subagent's own agent: steerable while it runs its task, and stoppable on its own.

A prompt sent to a subagent while it runs its task (from its own session page, the parent's tool
card or the TUI) steers it: the text joins its conversation before its next model step, in the
same run, and its result reflects it. `stop` ends its task alone; its siblings of the same
`parallel_tasks` call go on (only `fail_fast` cancels those).
"""

from __future__ import annotations

import asyncio
from functools import cached_property

from codesm.agent.agent import Agent
from codesm.agent.ops import Cancel, Op, SubmitPrompt


class SubagentAgent(Agent):
    """See the module docstring."""

    in_task = False
    """True while its runner runs its task: prompts steer it and cancel stops it."""

    @cached_property
    def stopped(self) -> asyncio.Event:
        """Set by `stop`: the runner ends this subagent's task (and only this one's)."""
        return asyncio.Event()

    async def handle(self, op: Op) -> None:
        if self.in_task and isinstance(op, SubmitPrompt):
            self.steer(op.text)
            return
        if self.in_task and isinstance(op, Cancel):
            self.stop()
            return
        await super().handle(op)

    def stop(self) -> None:
        """Cancel this subagent's task: its model stream, tool calls and own subagents stop."""
        self.stopped.set()
        self.cancel()

    def take_steering(self) -> str:
        """Steering that arrived after the last step ended, as one follow-up prompt."""
        return "\n\n".join(self.steering.take())
