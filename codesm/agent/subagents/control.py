"""Steering and cancelling one running subagent from the session that (indirectly) started it.

A UI sends `steer_subagent` or `cancel_subagent` on the parent session; the target must be a
descendant of that session (a share link for one session can never reach another's subagents)
and must be running a task.
"""

from __future__ import annotations

from collections.abc import Mapping

from codesm.agent.agent import Agent
from codesm.agent.ops import CancelSubagent, SteerSubagent
from codesm.agent.subagents.child import SubagentAgent
from codesm.store import Store

MAX_ANCESTRY = 32
NOT_A_CHILD = "That is not a subagent of this session."
NOT_RUNNING = "That subagent is not running any more."


async def is_descendant(store: Store, session_id: str, ancestor_id: str) -> bool:
    """Whether `session_id` is a subagent session of `ancestor_id`, at any depth."""
    current = await store.sessions.get(session_id)
    for _ in range(MAX_ANCESTRY):
        if current is None or current.parent_session_id is None:
            return False
        if current.parent_session_id == ancestor_id:
            return True
        current = await store.sessions.get(current.parent_session_id)
    return False


async def control_subagent(
    agents: Mapping[str, Agent],
    store: Store,
    session_id: str,
    op: SteerSubagent | CancelSubagent,
) -> str | None:
    """Steer or stop the subagent `op` names, sent on `session_id`; the problem, or None."""
    if not await is_descendant(store, op.child_session_id, session_id):
        return NOT_A_CHILD
    agent = agents.get(op.child_session_id)
    if not isinstance(agent, SubagentAgent) or not agent.in_task or agent.stopped.is_set():
        return NOT_RUNNING
    if isinstance(op, SteerSubagent):
        agent.steer(op.text)
    else:
        agent.stop()
    return None
