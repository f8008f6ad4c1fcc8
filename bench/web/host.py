"""`codesm web` exactly as the CLI serves it, plus a control channel into its SessionHub.

`python -m bench.web.host WORKSPACE` runs `codesm.web.server.serve` (same socket, app factory,
uvicorn options and lifespan as `codesm web --no-open --port 0`); the differences: the runtime it
opens is also handed to the control ops below, which publish into the real hub, and the cap on
open WebSockets is raised from 32 to `WS_CAP` so W1 can attach 50 clients:

- `new_session`: a fresh session, `{"session": id}`.
- `publish`: W1's flood, `count` text deltas of `size` bytes in one turn, `batch` per commit.
- `seed`: W7's history, whole scripted turns until `events` events are stored.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
import time
from pathlib import Path
from typing import Any

from bench.web.control import marker_text, serve_stdin
from codesm.agent.events import (
    AssistantMessage,
    AssistantTextDelta,
    Event,
    TurnFinished,
    TurnStarted,
    UserMessage,
)
from codesm.agent.runtime import Runtime
from codesm.web import server as web_server
from codesm.web.app import create_app, open_workspace_runtime
from codesm.web.config import WebConfig

WS_CAP = 128


class Ops:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def new_session(self, request: dict[str, Any]) -> dict[str, Any]:
        session = await self.runtime.new_session()
        return {"session": session.id}

    async def publish(self, request: dict[str, Any]) -> dict[str, Any]:
        session, count = str(request["session"]), int(request["count"])
        size, batch = int(request["size"]), int(request["batch"])
        hub, turn = self.runtime.hub, f"flood-{time.monotonic_ns()}"
        await hub.publish(session, TurnStarted(turn_id=turn))
        for start in range(0, count, batch):
            now = time.monotonic_ns()
            await hub.publish(
                session,
                *(
                    AssistantTextDelta(turn_id=turn, text=marker_text(i, now, size))
                    for i in range(start, min(count, start + batch))
                ),
            )
        await hub.publish(session, TurnFinished(turn_id=turn, status="completed"))
        return {"published": count, "subscribers": hub.subscriber_count(session)}

    async def seed(self, request: dict[str, Any]) -> dict[str, Any]:
        """Whole turns, one commit each (as an agent would: several commits per turn)."""
        session, target = str(request["session"]), int(request["events"])
        hub, stored, turn_no = self.runtime.hub, 0, 0
        turn_id = ""
        while stored < target:
            turn_no += 1
            turn_id = f"seed-{turn_no}"
            text = [f"Answer {turn_no}, part {i}: some streamed words. " for i in range(7)]
            events: list[Event] = [
                TurnStarted(turn_id=turn_id),
                UserMessage(turn_id=turn_id, text=f"question {turn_no}"),
                *(AssistantTextDelta(turn_id=turn_id, text=t) for t in text),
                AssistantMessage(turn_id=turn_id, text="".join(text)),
                TurnFinished(turn_id=turn_id, status="completed"),
            ]
            stored += len(await hub.publish(session, *events))
        return {"events": stored, "turns": turn_no, "last_turn": turn_id}


def main(workspace: Path) -> int:
    def create_app_with_control(config: WebConfig, **options: Any) -> Any:
        async def open_runtime(config: WebConfig) -> Runtime:
            runtime = await open_workspace_runtime(config)
            ops = Ops(runtime)
            handlers = {"new_session": ops.new_session, "publish": ops.publish, "seed": ops.seed}
            serve_stdin(asyncio.get_running_loop(), handlers)
            return runtime

        # `codesm web` refuses WebSockets past 32 (SECURITY.md: bounded connections); W1 needs
        # 50 readers plus a stalled one, so only this benchmark host raises the cap.
        config = dataclasses.replace(config, max_ws_connections=WS_CAP)
        return create_app(config, open_runtime=open_runtime, **options)

    # The one seam: everything else is `serve()` as `codesm web` runs it.
    setattr(web_server, "create_app", create_app_with_control)  # noqa: B010
    return web_server.serve(workspace, open_browser=False)


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1])))
