"""A subagent's own agent: steerable while it runs its task, and stoppable on its own.

A prompt sent to a subagent while it runs its task (from its own session page, the parent's tool
card or the TUI) steers it: the text joins its conversation before its next model step, in the
same run, and its result reflects it. `stop` ends its task alone; its siblings of the same
`parallel_tasks` call go on (only `fail_fast` cancels those).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from codesm.agent.agent import Agent, AgentDeps
from codesm.agent.ops import Cancel, Op, SubmitPrompt


class SubagentAgent(Agent):
    """See the module docstring."""

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
        depth: int = 1,
    ) -> None:
        super().__init__(
            deps,
            session_id=session_id,
            root=root,
            mode=mode,
            model=model,
            interactive=interactive,
            agent_name=agent_name,
        )
        self.depth = depth
        self.in_task = False
        self.stopped = asyncio.Event()
        """Set by `stop`: the runner ends this subagent's task (and only this one's)."""

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
        texts, self._steering = self._steering, []
        return "\n\n".join(texts)
