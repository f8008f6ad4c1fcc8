"""Running subagents in the TUI: live progress under the tool call, `/steer` and
`/stop-subagent`, against the real runtime and the scripted LLM server."""

from __future__ import annotations

from pathlib import Path

from codesm.agent.events import SubagentFinished, UserMessage
from codesm.tui.app import CodesmApp
from codesm.tui.tools import ToolCallView
from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn
from tests.unit.subagent_support import requests_with
from tests.unit.test_tui_app import finished_turns, type_prompt
from tests.unit.tui_support import SIZE, open_runtime, screen_text, wait_for


def task(prompt: str) -> dict[str, str]:
    return {"subagent_type": "researcher", "prompt": prompt, "description": prompt}


async def test_steer_and_stop_subagent_reach_the_numbered_running_subagents(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(
            tool_calls=[
                ToolCallSpec("parallel_tasks", {"tasks": [task("[p] survey"), task("[q] hang")]})
            ]
        ),
        Turn(when="[p]", delay_s=2.0, tool_calls=[ToolCallSpec("glob", {"pattern": "*.txt"})]),
        Turn(when="[steer-tui]", text="p read the notes as steered"),
        Turn(when="[q]", delay_s=30, text="q never answers"),
        Turn(text="Both reported."),
        Turn(text="Subagents title"),
    )
    async with open_runtime(tmp_path, scripted_llm, permission_mode="allow-all") as runtime:
        app = CodesmApp(runtime)
        async with app.run_test(size=SIZE) as pilot:
            await type_prompt(pilot, "look twice")
            await wait_for(pilot, lambda: app.query(ToolCallView)
                           and len(app.query_one(ToolCallView).running_subagents) == 2)  # fmt: skip
            view = app.query_one(ToolCallView)
            view.collapsed = False
            await wait_for(pilot, lambda: "step 1 · thinking" in screen_text(app))
            await type_prompt(pilot, "/steer 1 [steer-tui] read the notes")
            await type_prompt(pilot, "/stop-subagent 2")
            await wait_for(pilot, lambda: not app.status.running and app.status.title)
            assert app.session is not None
            events = [s.event for s in await runtime.store.events_after(app.session.id)]
            assert len(await finished_turns(app)) == 1
            shown = screen_text(app)
    assert requests_with(scripted_llm, "[steer-tui] read the notes")
    statuses = [e.status for e in events if isinstance(e, SubagentFinished)]
    assert sorted(statuses) == ["cancelled", "completed"]
    assert "↳ 2 ✗ researcher" in shown and "cancelled" in shown
    assert not any(isinstance(e, UserMessage) and "[steer-tui]" in e.text for e in events)
