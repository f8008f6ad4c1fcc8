"""Steering, stopping and live progress of running subagents: real parent and child agents on the
scripted LLM server; each reply is routed to its agent by a marker in its last user text."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from codesm.agent.events import (
    SubagentFinished,
    SubagentProgress,
    ToolCallFinished,
    UserMessage,
)
from codesm.agent.ops import CancelSubagent, SteerSubagent, SubmitPrompt
from codesm.agent.subagents.control import NOT_A_CHILD, NOT_RUNNING
from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn, UsageSpec
from tests.unit.subagent_support import Family, family, requests_with


def task(kind: str, prompt: str) -> dict[str, str]:
    return {"subagent_type": kind, "prompt": prompt, "description": prompt[:24]}


async def _child_asked(f: Family, server: ScriptedLLMServer, marker: str) -> str:
    """The session of the subagent whose first model request (with `marker`) is in flight."""
    for _ in range(400):
        if requests_with(server, marker):
            for child in await f.children():
                log = await f.events_of(child)
                if any(isinstance(s.event, UserMessage) and marker in s.event.text for s in log):
                    return child
        await asyncio.sleep(0.025)
    raise AssertionError(f"no subagent asked the model about {marker}")


async def test_a_message_sent_to_a_running_subagent_is_in_its_next_model_request(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("task", task("researcher", "[kid] survey the code"))]),
        Turn(when="[kid]", delay_s=1.0, tool_calls=[ToolCallSpec("glob", {"pattern": "*.py"})]),
        Turn(when="[steer-now]", text="Surveyed, and checked the tests as you asked."),
        Turn(text="parent done"),
    )
    async with family(tmp_path, scripted_llm) as f:
        running = asyncio.create_task(f.parent.agent.run_turn("look around"))
        child = await _child_asked(f, scripted_llm, "[kid]")
        steer = SteerSubagent(child_session_id=child, text="[steer-now] also check the tests")
        assert await f.runner.control(f.parent.session_id, steer) is None
        outcome = await running
        child_log = [s.event for s in await f.events_of(child)]
        parent_log = [s.event for s in await f.parent.events()]
    step_two = requests_with(scripted_llm, "[steer-now]")
    assert len(step_two) == 1
    body = json.dumps(step_two[0])
    assert "[kid] survey the code" in body and "tool_result" in body  # the same run, step 2
    prompts = [e for e in child_log if isinstance(e, UserMessage)]
    assert [(p.text, p.steering) for p in prompts] == [
        ("[kid] survey the code", False),
        ("[steer-now] also check the tests", True),
    ]
    assert prompts[0].turn_id == prompts[1].turn_id
    finished = next(e for e in parent_log if isinstance(e, SubagentFinished))
    assert (finished.status, finished.steps) == ("completed", 2)
    report = next(e for e in parent_log if isinstance(e, ToolCallFinished))
    assert "checked the tests as you asked" in report.content
    assert outcome.status == "completed"


async def test_a_message_sent_during_the_last_step_gets_one_more_step(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("task", task("researcher", "[kid] answer at once"))]),
        Turn(when="[kid]", delay_s=1.0, text="first answer"),
        Turn(when="[late]", text="revised answer"),
        Turn(text="parent done"),
    )
    async with family(tmp_path, scripted_llm) as f:
        running = asyncio.create_task(f.parent.agent.run_turn("ask"))
        child = await _child_asked(f, scripted_llm, "[kid]")
        await f.runner.agents[child].handle(SubmitPrompt(text="[late] say it differently"))
        await running
        parent_log = [s.event for s in await f.parent.events()]
    report = next(e for e in parent_log if isinstance(e, ToolCallFinished))
    assert "revised answer" in report.content
    assert "first answer" not in report.content


async def test_cancelling_one_parallel_subagent_leaves_its_siblings_running(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    tasks = [task("researcher", f"[{name}] part {name}") for name in ("a", "b", "c")]
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("parallel_tasks", {"tasks": tasks})]),
        Turn(when="[a]", delay_s=1.0, text="a finished"),
        Turn(when="[b]", delay_s=30, text="b never answers"),
        Turn(when="[c]", delay_s=1.0, text="c finished"),
        Turn(text="parent done"),
    )
    async with family(tmp_path, scripted_llm) as f:
        running = asyncio.create_task(f.parent.agent.run_turn("split it"))
        b = await _child_asked(f, scripted_llm, "[b]")
        assert (
            await f.runner.control(f.parent.session_id, CancelSubagent(child_session_id=b)) is None
        )
        outcome = await running
        parent_log = [s.event for s in await f.parent.events()]
    finished = {e.child_session_id: e.status for e in parent_log if isinstance(e, SubagentFinished)}
    assert finished.pop(b) == "cancelled"
    assert sorted(finished.values()) == ["completed", "completed"]
    report = next(e for e in parent_log if isinstance(e, ToolCallFinished))
    assert "3 task(s), 2 completed, 0 failed, 1 cancelled" in report.content
    assert "a finished" in report.content and "c finished" in report.content
    assert outcome.status == "completed"


async def test_the_parent_session_gets_each_step_of_a_subagent_as_it_runs(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    usage = UsageSpec(input_tokens=100, output_tokens=20)
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("task", task("researcher", "[kid] find foo"))]),
        Turn(when="[kid]", usage=usage, tool_calls=[ToolCallSpec("grep", {"pattern": "foo"})]),
        Turn(when="[kid]", usage=usage, tool_calls=[ToolCallSpec("glob", {"pattern": "*.md"})]),
        Turn(when="[kid]", usage=usage, text="foo is nowhere"),
        Turn(text="parent done"),
    )
    async with family(tmp_path, scripted_llm) as f:
        await f.parent.agent.run_turn("where is foo")
        stored = await f.parent.events()
    progress = [s.event for s in stored if isinstance(s.event, SubagentProgress)]
    assert [(p.step, p.activity) for p in progress] == [
        (1, "thinking"),
        (1, "running grep 'foo'"),
        (2, "thinking"),
        (2, "running glob '*.md'"),
        (3, "thinking"),
    ]
    assert all(p.status == "running" and p.parent_child_session_id is None for p in progress)
    assert [p.output_tokens for p in progress] == [0, 20, 20, 40, 40]
    elapsed = [p.elapsed_s for p in progress]
    assert elapsed == sorted(elapsed)
    finished_at = next(s.seq for s in stored if isinstance(s.event, SubagentFinished))
    assert all(s.seq < finished_at for s in stored if isinstance(s.event, SubagentProgress))


async def test_progress_of_a_nested_subagent_reaches_the_root_under_its_parent(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("task", task("coder", "[d1] delegate"))]),
        Turn(when="[d1]", tool_calls=[ToolCallSpec("task", task("researcher", "[d2] dig"))]),
        Turn(when="[d2]", tool_calls=[ToolCallSpec("grep", {"pattern": "deep"})]),
        Turn(when="[d2]", text="dug"),
        Turn(when="[d1]", text="delegated"),
        Turn(text="parent done"),
    )
    async with family(tmp_path, scripted_llm) as f:
        await f.parent.agent.run_turn("nest")
        (child,) = await f.children()
        grandchildren = await f.parent.store.sessions.list_recent(parent_session_id=child)
        root_log = [s.event for s in await f.parent.events()]
    grandchild = grandchildren[0].id
    nested = [
        e for e in root_log if isinstance(e, SubagentProgress) and e.child_session_id == grandchild
    ]
    assert nested and all(e.parent_child_session_id == child for e in nested)
    assert all(e.depth == 2 for e in nested)
    assert "running grep 'deep'" in [e.activity for e in nested]
    assert nested[-1].status == "completed"


async def test_only_running_subagents_of_the_session_can_be_steered_or_cancelled(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("task", task("researcher", "[kid] slow"))]),
        Turn(when="[kid]", delay_s=1.0, text="done slowly"),
        Turn(text="parent done"),
    )
    async with family(tmp_path, scripted_llm) as f:
        other = await f.parent.store.sessions.create(title="someone else's")
        running = asyncio.create_task(f.parent.agent.run_turn("go"))
        child = await _child_asked(f, scripted_llm, "[kid]")
        steer = SteerSubagent(child_session_id=child, text="hijack")
        assert await f.runner.control(other.id, steer) == NOT_A_CHILD
        await running
        assert await f.runner.control(f.parent.session_id, steer) == NOT_RUNNING
        child_log = [s.event for s in await f.events_of(child)]
    assert not any(isinstance(e, UserMessage) and e.text == "hijack" for e in child_log)


async def test_a_finished_subagent_reports_the_tokens_of_all_its_steps_at_every_depth(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("task", task("coder", "[t1] delegate"))]),
        Turn(when="[t1]", tool_calls=[ToolCallSpec("task", task("researcher", "[t2] dig"))]),
        Turn(when="[t2]", tool_calls=[ToolCallSpec("grep", {"pattern": "deep"})],
             usage=UsageSpec(input_tokens=100, output_tokens=10)),
        Turn(when="[t2]", text="dug", usage=UsageSpec(input_tokens=3000, output_tokens=400)),
        Turn(when="[t1]", text="delegated", usage=UsageSpec(input_tokens=500, output_tokens=50)),
        Turn(text="parent done"),
    )  # fmt: skip
    async with family(tmp_path, scripted_llm) as f:
        await f.parent.agent.run_turn("nest")
        (child,) = await f.children()
        (grandchild,) = await f.parent.store.sessions.list_recent(parent_session_id=child)
        root_log = [s.event for s in await f.parent.events()]
    nested = [e for e in root_log if isinstance(e, SubagentProgress)]
    last_of_grandchild = [e for e in nested if e.child_session_id == grandchild.id][-1]
    assert last_of_grandchild.status == "completed"
    # its last step's 3,000 / 400 tokens come after its last progress snapshot
    assert (last_of_grandchild.input_tokens, last_of_grandchild.output_tokens) == (3100, 410)
    finished = next(e for e in root_log if isinstance(e, SubagentFinished))
    assert finished.child_session_id == child
    assert (finished.input_tokens, finished.output_tokens) == (12 + 500, 7 + 50)
