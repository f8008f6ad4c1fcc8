"""Running subagents in the TUI: live progress under the tool call, `/steer` and
`/stop-subagent`, against the real runtime and the scripted LLM server."""

from __future__ import annotations

import re
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from codesm.agent.events import SubagentFinished, TurnFinished, UserMessage
from codesm.tui.app import CodesmApp
from codesm.tui.tools import ToolCallView
from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn
from tests.unit.subagent_support import requests_with
from tests.unit.test_tui_app import finished_turns, type_prompt
from tests.unit.tui_support import SIZE, open_runtime, screen_text, wait_for


async def send_line(pilot: Pilot[int], text: str) -> None:
    """Type `text` as a user does (the cursor at its end, the dropdown following) and send it."""
    prompt = pilot.app.query_one("#prompt", Input)
    prompt.value = text
    prompt.cursor_position = len(text)
    await pilot.pause()
    await pilot.press("enter")


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


async def test_nested_subagents_are_numbered_completed_ticking_and_reachable_by_number_or_id(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    nested = {"tasks": [task("[n1] slow survey"), task("[n2] hang")]}
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("task", {**task("[d] delegate"), "subagent_type": "coder"})]),
        Turn(when="[d]", tool_calls=[ToolCallSpec("parallel_tasks", nested)]),
        Turn(when="[n1]", delay_s=3.0, tool_calls=[ToolCallSpec("glob", {"pattern": "*.txt"})]),
        Turn(when="[steer-nested]", text="n1 read the notes as steered"),
        Turn(when="[n2]", delay_s=30, text="n2 never answers"),
        Turn(when="[d]", text="delegated"),
        Turn(text="Done."),
        Turn(text="Nested title"),
    )
    async with open_runtime(tmp_path, scripted_llm, permission_mode="allow-all") as runtime:
        app = CodesmApp(runtime)
        async with app.run_test(size=SIZE) as pilot:
            await type_prompt(pilot, "delegate twice")

            def labels() -> list[str]:
                return [r.label for v in app.query(ToolCallView) for r in v.running()]

            await wait_for(pilot, lambda: labels() == ["1", "1.1", "1.2"])
            app.query_one(ToolCallView).collapsed = False
            await wait_for(pilot, lambda: requests_with(scripted_llm, "[n1] slow survey"))
            await pilot.click("#prompt")
            await pilot.press(*"/steer 1.")
            await wait_for(pilot, lambda: app.query_one("#completions", OptionList).option_count)
            choices = app.query_one("#completions", OptionList)
            shown = [str(choices.get_option_at_index(i).prompt) for i in range(2)]
            await send_line(pilot, "/steer 1.1 [steer-nested] read the notes")
            # between progress events the waiting subagent's elapsed time moves on
            ticking = re.compile(r"1\.2 ◌ researcher  step 1 · thinking · [1-9]\d*s")
            await wait_for(pilot, lambda: ticking.search(screen_text(app)))
            hang = next(r for v in app.query(ToolCallView) for r in v.running() if r.label == "1.2")
            await send_line(pilot, f"/stop-subagent {hang.session_id[:6]}")
            await wait_for(pilot, lambda: not app.status.running and app.status.title, within=20)
            shown_at_end = screen_text(app)
        hung_log = [s.event for s in await runtime.store.events_after(hang.session_id)]
    assert [s.split()[0] for s in shown] == ["1.2", "1.1"]
    assert "[n1] slow survey" in shown[1]
    assert requests_with(scripted_llm, "[steer-nested] read the notes")
    assert "1.2 ✗ researcher  cancelled" in shown_at_end
    assert "1.1 ✓ researcher  completed" in shown_at_end
    assert any(isinstance(e, TurnFinished) and e.status == "cancelled" for e in hung_log)
