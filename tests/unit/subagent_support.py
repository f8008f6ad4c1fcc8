"""A parent agent with the subagent tools, on the scripted LLM server (see `agent_harness`)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codesm.agent.events import StoredEvent
from codesm.agent.guard import TurnLimits
from codesm.agent.permissions.engine import Mode
from codesm.agent.subagents.runner import SubagentHost, SubagentRunner
from codesm.agent.subagents.tools import subagent_tools
from codesm.agent.tools.registry import create_registry
from tests.support.agent_harness import Harness, agent_harness
from tests.support.scripted_llm import RecordedRequest, ScriptedLLMServer

PARENT_MODEL = "claude-sonnet-5-5"


@dataclass
class Family:
    parent: Harness
    runner: SubagentRunner
    host: SubagentHost

    async def children(self) -> list[str]:
        sessions = await self.parent.store.sessions.list_recent(
            parent_session_id=self.parent.session_id
        )
        return [s.id for s in sessions]

    async def events_of(self, session_id: str) -> list[StoredEvent]:
        return await self.parent.store.events_after(session_id, 0)


@asynccontextmanager
async def family(
    tmp_path: Path,
    server: ScriptedLLMServer,
    *,
    permission_mode: Mode = "auto-edit",
    interactive: bool = False,
    max_depth: int = 2,
    limits: TurnLimits | None = None,
) -> AsyncIterator[Family]:
    async with agent_harness(
        tmp_path,
        server,
        permission_mode=permission_mode,
        interactive=interactive,
        model=PARENT_MODEL,
        limits=limits,
    ) as h:
        runner = SubagentRunner(h.root, max_depth=max_depth, cancel_grace_s=3.0)
        host = runner.host(h.session_id, agent=h.agent)
        h.agent.deps.tools = create_registry(extra=subagent_tools(host))
        try:
            yield Family(h, runner, host)
        finally:
            for child in list(runner.agents.values()):
                await child.aclose()


def request_text(request: RecordedRequest) -> str:
    return json.dumps(request.body)


def requests_with(server: ScriptedLLMServer, marker: str) -> list[dict[str, Any]]:
    """Bodies of the completion requests whose text contains `marker`."""
    return [r.body for r in server.completion_requests() if marker in request_text(r)]


def tool_names(body: dict[str, Any]) -> list[str]:
    return [t["name"] for t in body.get("tools", [])]
