"""Helpers for command-line tests: run `codesm` in-process and seed the (isolated) store."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from click.testing import CliRunner, Result

from codesm.agent.events import (
    AssistantMessage,
    ChangeApplied,
    ChangeProposed,
    Event,
    Title,
    ToolCallFinished,
    ToolCallStarted,
    TurnFinished,
    TurnStarted,
    Usage,
    UserMessage,
)
from codesm.cli import main
from codesm.store import Store

DIFF = "--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-print('hi')\n+print('hello')\n"


def codesm(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input, env=env, catch_exceptions=False)


def conversation(prompt: str, answer: str, *, tool_output: str = "") -> list[Event]:
    """One turn: a prompt, a bash call with its output, an applied edit, an answer, usage."""
    events: list[Event] = [TurnStarted(turn_id="t1"), UserMessage(turn_id="t1", text=prompt)]
    if tool_output:
        events += [
            ToolCallStarted(turn_id="t1", call_id="c1", name="bash", arguments={"command": "ls"}),
            ToolCallFinished(turn_id="t1", call_id="c1", content=tool_output),
            ToolCallStarted(turn_id="t1", call_id="c2", name="edit", arguments={"path": "app.py"}),
            ChangeProposed(
                turn_id="t1", call_id="c2", change_id="ch1", paths=["app.py"], diff=DIFF
            ),
            ChangeApplied(turn_id="t1", call_id="c2", change_id="ch1", paths=["app.py"]),
            ToolCallFinished(turn_id="t1", call_id="c2", content="Edited app.py"),
        ]
    events += [
        AssistantMessage(turn_id="t1", text=answer),
        Usage(turn_id="t1", provider="anthropic", model="m", input_tokens=10, cost_usd=0.25),
        TurnFinished(turn_id="t1", status="completed"),
    ]
    return events


def seed(
    workspace: Path,
    threads: Sequence[tuple[str, Sequence[Event]]],
    *,
    labels: Sequence[str] = (),
) -> list[str]:
    """Create one thread per (title, events) in `workspace`'s project; returns their ids."""

    async def run() -> list[str]:
        async with await Store.open() as store:
            project = await store.projects.ensure(workspace)
            ids = []
            for title, events in threads:
                session = await store.sessions.create(project_id=project.id, labels=labels)
                await store.append_events(session.id, [*events, Title(title=title)])
                await store.sessions.update(session.id, title=title)
                ids.append(session.id)
            return ids

    return asyncio.run(run())
