"""Subagents: child agents with their own sessions, started by the subagent tools.

- `types`: the kinds of subagent (prompts, tool allowlists, limits, model choice);
- `router`: picks a kind for `auto`;
- `guards`: read-only permissions and approvals mirrored into the parent session;
- `runner`: one subagent run (child session, events, cancellation, cost roll-up);
- `child`: the subagent's agent (steered mid-run, stopped on its own); `control`: the ops that
  steer or stop one from an ancestor session; `progress`: its live progress in the parent;
- `orchestration`: parallel, staged and pipelined runs, and the report the parent model reads;
- `tools`: `task`, `parallel_tasks`, `orchestrate`, `pipeline`.

The programmatic API is `codesm.agent.orchestrator`.
"""

from __future__ import annotations

from codesm.agent.subagents.child import SubagentAgent
from codesm.agent.subagents.runner import SubagentHost, SubagentRunner
from codesm.agent.subagents.tasks import ParentRef, TaskResult, TaskSpec
from codesm.agent.subagents.types import SUBAGENT_TYPES, SubagentType
from codesm.store import Store, UsageTotals

__all__ = [
    "SUBAGENT_TYPES",
    "ParentRef",
    "SubagentAgent",
    "SubagentHost",
    "SubagentRunner",
    "SubagentType",
    "TaskResult",
    "TaskSpec",
    "usage_with_subagents",
]


async def usage_with_subagents(store: Store, session_id: str) -> UsageTotals:
    """A session's usage plus that of all its subagent sessions, at any depth."""
    totals = [await store.usage.totals(session_id=session_id)]
    pending = [session_id]
    while pending:
        children = await store.sessions.list_recent(
            parent_session_id=pending.pop(), include_archived=True, limit=10_000
        )
        for child in children:
            totals.append(await store.usage.totals(session_id=child.id))
            pending.append(child.id)
    return UsageTotals(
        calls=sum(t.calls for t in totals),
        input_tokens=sum(t.input_tokens for t in totals),
        output_tokens=sum(t.output_tokens for t in totals),
        cache_read_tokens=sum(t.cache_read_tokens for t in totals),
        cache_write_tokens=sum(t.cache_write_tokens for t in totals),
        reasoning_tokens=sum(t.reasoning_tokens for t in totals),
        cost_usd=sum(t.cost_usd for t in totals),
    )
