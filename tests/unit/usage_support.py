"""A store with known usage: two projects, a session with a subagent, tools, an old day."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from codesm.agent.events import ToolCallRef, Usage, UserMessage
from codesm.store import Store

DAY = 86_400.0


@dataclass(frozen=True)
class Seeded:
    project_id: str
    other_project_id: str
    main_session: str
    sub_session: str
    other_session: str
    this_project_usd: float = 0.30 + 0.10 + 0.05 + 0.20
    other_project_usd: float = 1.00


def _usage(turn: str, cost: float, *tools: str, model: str = "claude-sonnet-4-5") -> Usage:
    return Usage(
        turn_id=turn,
        provider="anthropic",
        model=model,
        input_tokens=1_000,
        output_tokens=100,
        cache_read_tokens=3_000,
        cost_usd=cost,
        tool_calls=[ToolCallRef(call_id=f"{turn}-{i}", name=t) for i, t in enumerate(tools)],
    )


async def seed_usage(store: Store, workspace: Path, other: Path) -> Seeded:
    """This project: $0.65 today over 4 calls (one by a "search" subagent); the other project:
    $1.00 ten days ago."""
    project = await store.projects.ensure(workspace)
    elsewhere = await store.projects.ensure(other)
    main = await store.sessions.create(project_id=project.id, title="Fix the parser")
    sub = await store.sessions.create(
        project_id=project.id, parent_session_id=main.id, subagent_type="search"
    )
    old = await store.sessions.create(project_id=elsewhere.id, title="Old work")
    await store.append_events(
        main.id,
        [
            UserMessage(turn_id="t1", text="fix the parser please"),
            _usage("t1", 0.30, "edit", "read"),
            _usage("t1", 0.10),
            UserMessage(turn_id="t2", text="and the docs"),
            _usage("t2", 0.05, model="gpt-5"),
        ],
    )
    await store.append_events(sub.id, [_usage("t1", 0.20, "grep")])
    await store.append_events(
        old.id, [UserMessage(turn_id="t9", text="old"), _usage("t9", 1.00, "bash")]
    )
    async with store.db.write() as connection:
        await connection.execute(
            "UPDATE usage SET ts = ? WHERE session_id = ?", (time.time() - 10 * DAY, old.id)
        )
    return Seeded(project.id, elsewhere.id, main.id, sub.id, old.id)
