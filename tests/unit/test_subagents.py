"""Subagents end to end: a real parent agent calls the subagent tools, real child agents run on
the scripted LLM server (each reply routed to its agent by a marker in its prompt)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from codesm.agent.events import (
    ApprovalRequested,
    SubagentFinished,
    SubagentStarted,
    ToolCallFinished,
    Usage,
)
from codesm.agent.ops import Approve
from codesm.agent.subagents import usage_with_subagents
from tests.support.scripted_llm import Fault, ScriptedLLMServer, ToolCallSpec, Turn, UsageSpec
from tests.unit.subagent_support import family, requests_with, tool_names


def task(kind: str, prompt: str, description: str = "") -> dict[str, str]:
    return {"subagent_type": kind, "prompt": prompt, "description": description or prompt[:20]}


async def test_ten_parallel_tasks_with_one_second_latency_finish_in_about_one_second(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    tasks = [task("researcher", f"[t{i}] look at area {i}") for i in range(10)]
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("parallel_tasks", {"tasks": tasks, "max_concurrent": 10})]),
        *(Turn(text=f"finding {i}", when=f"[t{i}]", delay_s=1.0) for i in range(10)),
        Turn(text="All ten done."),
    )
    async with family(tmp_path, scripted_llm) as f:
        outcome = await f.parent.agent.run_turn("survey the code")
        events = [s.event for s in await f.parent.events()]
    started = [e for e in events if isinstance(e, SubagentStarted)]
    finished = [e for e in events if isinstance(e, SubagentFinished)]
    result = next(e for e in events if isinstance(e, ToolCallFinished))
    assert outcome.status == "completed"
    assert len(started) == len(finished) == 10
    assert {e.call_id for e in started} == {result.call_id}
    assert all(e.status == "completed" for e in finished)
    assert all(e.duration_s >= 1.0 for e in finished)  # each reports its own run time
    assert "10 task(s), 10 completed" in result.content
    assert all(f"finding {i}" in result.content for i in range(10))


async def test_ten_parallel_tasks_take_the_time_of_one_not_of_ten(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    tasks = [task("finder", f"[p{i}] find thing {i}") for i in range(10)]
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("parallel_tasks", {"tasks": tasks, "max_concurrent": 10})]),
        *(Turn(text=f"found {i}", when=f"[p{i}]", delay_s=1.0) for i in range(10)),
        Turn(text="done"),
    )
    # No child is answered until all ten are waiting at once: a run that took the time of ten
    # replies (one after another) would never finish. No clock, so no slow machine can fail it.
    scripted_llm.hold_marked_until(10)
    async with family(tmp_path, scripted_llm) as f:
        outcome = await asyncio.wait_for(f.parent.agent.run_turn("find things"), 60)
    assert outcome.status == "completed"
    assert scripted_llm.max_in_flight >= 10


async def test_max_concurrent_caps_how_many_children_run_at_once(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    tasks = [task("finder", f"[c{i}] find thing {i}") for i in range(6)]
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("parallel_tasks", {"tasks": tasks, "max_concurrent": 2})]),
        *(Turn(text=f"found {i}", when=f"[c{i}]", delay_s=0.3) for i in range(6)),
        Turn(text="done"),
    )
    scripted_llm.hold_marked_until(2)  # two do run together (else this never finishes) ...
    async with family(tmp_path, scripted_llm) as f:
        outcome = await asyncio.wait_for(f.parent.agent.run_turn("find things"), 60)
    assert outcome.status == "completed"
    assert scripted_llm.max_in_flight == 2  # ... and never more than two


async def test_fail_fast_cancels_the_running_sibling_and_stops_its_command(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    tasks = [
        task("coder", "[slow] run the long job"),
        task("coder", "[bad] this one breaks"),
        task("coder", "[queued] never starts"),
    ]
    call = {"tasks": tasks, "fail_fast": True, "max_concurrent": 2}
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("parallel_tasks", call)]),
        Turn(when="[slow]", tool_calls=[ToolCallSpec("bash", {"command": "sleep 30"})]),
        Fault("400", when="[bad]", delay_s=0.7, message="scripted failure"),
        Turn(text="One failed."),
    )
    async with family(tmp_path, scripted_llm, permission_mode="allow-all") as f:
        # The slow sibling's `sleep 30` must be killed, not waited for.
        outcome = await asyncio.wait_for(f.parent.agent.run_turn("do the jobs"), 20)
        events = [s.event for s in await f.parent.events()]
        finished = {e.index: e for e in events if isinstance(e, SubagentFinished)}
        slow_events = [s.event for s in await f.events_of(finished[0].child_session_id)]
    result = next(e for e in events if isinstance(e, ToolCallFinished))
    assert outcome.status == "completed"
    assert finished[0].status == "cancelled" and finished[1].status == "failed"
    assert 2 not in finished  # the queued task never started
    assert "not started" in result.content
    bash = next(e for e in slow_events if isinstance(e, ToolCallFinished))
    assert bash.is_error and "cancelled" in bash.content


async def test_cancelling_the_parent_turn_stops_its_subagents(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("task", task("researcher", "[hang] think slowly"))]),
        Turn(when="[hang]", text="too late", delay_s=30),
    )
    async with family(tmp_path, scripted_llm) as f:
        running = asyncio.create_task(f.parent.agent.run_turn("go"))
        for _ in range(100):
            if await f.children():
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        f.parent.agent.cancel()
        # The child's reply is 30 s away: the turn must end well before it, without waiting.
        outcome = await asyncio.wait_for(running, 10)
        events = [s.event for s in await f.parent.events()]
    assert outcome.status == "cancelled"
    done = next(e for e in events if isinstance(e, SubagentFinished))
    assert done.status == "cancelled"


async def test_a_stage_receives_the_results_of_the_earlier_stages(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    stages = [
        [task("researcher", "[s1a] research auth"), task("finder", "[s1b] find auth files")],
        [task("planner", "[s2] plan the auth changes")],
    ]
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("orchestrate", {"stages": stages})]),
        Turn(when="[s1a]", text="AUTH-USES-JWT", delay_s=0.2),
        Turn(when="[s1b]", text="FILES: auth.py"),
        Turn(when="[s2]", text="PLAN: rotate keys"),
        Turn(text="Planned."),
    )
    async with family(tmp_path, scripted_llm) as f:
        outcome = await f.parent.agent.run_turn("improve auth")
        events = [s.event for s in await f.parent.events()]
    assert outcome.status == "completed"
    stage_two = requests_with(scripted_llm, "[s2] plan")
    assert (
        stage_two and "AUTH-USES-JWT" in str(stage_two[0]) and "FILES: auth.py" in str(stage_two[0])
    )
    stage_one = [b for b in requests_with(scripted_llm, "[s1b]") if "[s2]" not in str(b)]
    assert stage_one and not any("AUTH-USES-JWT" in str(b) for b in stage_one)
    result = next(e for e in events if isinstance(e, ToolCallFinished))
    assert "Stage 2" in result.content and "PLAN: rotate keys" in result.content


async def test_a_pipeline_passes_each_result_to_the_next_step_template(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    steps = [
        {"subagent_type": "researcher", "prompt_template": "[q1] find TODOs in {initial_context}"},
        {"subagent_type": "planner", "prompt_template": "[q2] prioritize: {previous_result}"},
    ]
    call = {"steps": steps, "initial_context": "src/"}
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("pipeline", call)]),
        Turn(when="[q1]", text="TODO-1, TODO-2"),
        Turn(when="[q2]", text="TODO-2 first"),
        Turn(text="ok"),
    )
    async with family(tmp_path, scripted_llm) as f:
        outcome = await f.parent.agent.run_turn("triage")
    assert outcome.status == "completed"
    assert "[q1] find TODOs in src/" in str(requests_with(scripted_llm, "[q1]")[0])
    assert "[q2] prioritize: TODO-1, TODO-2" in str(requests_with(scripted_llm, "[q2]")[0])


async def test_a_researcher_is_not_offered_edit_tools_and_cannot_write_with_bash(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("task", task("researcher", "[r] try to write"))]),
        Turn(when="[r]", tool_calls=[ToolCallSpec("bash", {"command": "touch made.txt"})]),
        Turn(when="[r]", tool_calls=[ToolCallSpec("write", {"path": "w.txt", "content": "x"})]),
        Turn(when="[r]", text="I could not write."),
        Turn(text="ok"),
    )
    async with family(tmp_path, scripted_llm, permission_mode="allow-all") as f:
        outcome = await f.parent.agent.run_turn("go")
        child = (await f.children())[0]
        results = [
            s.event for s in await f.events_of(child) if isinstance(s.event, ToolCallFinished)
        ]
        root = f.parent.root
    assert outcome.status == "completed"
    tools = tool_names(requests_with(scripted_llm, "[r]")[0])
    assert "read" in tools and "write" not in tools and "edit" not in tools
    assert "task" not in tools
    assert [r.is_error for r in results] == [True, True]
    assert "read-only" in results[0].content
    assert not (root / "made.txt").exists() and not (root / "w.txt").exists()


async def test_a_coder_edit_in_review_mode_waits_for_approval_shown_in_the_parent(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    write = ToolCallSpec("write", {"path": "new.txt", "content": "hello\n"})
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("task", task("coder", "[c] create new.txt"))]),
        Turn(when="[c]", tool_calls=[write]),
        Turn(when="[c]", text="Created new.txt"),
        Turn(text="done"),
    )
    async with family(tmp_path, scripted_llm, permission_mode="review", interactive=True) as f:
        running = asyncio.create_task(f.parent.agent.run_turn("make a file"))
        mirrored = None
        for _ in range(200):
            mirrored = next(
                (
                    s.event
                    for s in await f.parent.events()
                    if isinstance(s.event, ApprovalRequested)
                ),
                None,
            )
            if mirrored is not None:
                break
            await asyncio.sleep(0.05)
        assert mirrored is not None and mirrored.kind == "edit"
        assert not (f.parent.root / "new.txt").exists()
        child = mirrored.subagent_session_id
        assert child in await f.children()
        child_requests = [
            s.event
            for s in await f.events_of(child or "")
            if isinstance(s.event, ApprovalRequested)
        ]
        assert [r.call_id for r in child_requests] == [mirrored.call_id]
        started = next(
            s.event for s in await f.parent.events() if isinstance(s.event, SubagentStarted)
        )
        assert mirrored.parent_call_id == started.call_id
        await f.parent.agent.handle(Approve(call_id=mirrored.call_id))
        outcome = await asyncio.wait_for(running, 10)
        assert (f.parent.root / "new.txt").read_text() == "hello\n"
    assert outcome.status == "completed"


async def test_subagent_cost_rolls_up_into_the_parent_turn_and_session_usage(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    usage = UsageSpec(input_tokens=100_000, output_tokens=10_000)
    tasks = [task("researcher", "[u1] one"), task("researcher", "[u2] two")]
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("parallel_tasks", {"tasks": tasks})], usage=usage),
        Turn(when="[u1]", text="a", usage=usage),
        Turn(when="[u2]", text="b", usage=usage),
        Turn(text="ok", usage=usage),
    )
    async with family(tmp_path, scripted_llm) as f:
        outcome = await f.parent.agent.run_turn("spend")
        store = f.parent.store
        own = await store.usage.totals(session_id=f.parent.session_id)
        total = await usage_with_subagents(store, f.parent.session_id)
        events = [s.event for s in await f.parent.events()]
    child_cost = sum(e.cost_usd for e in events if isinstance(e, SubagentFinished))
    parent_usage = sum(e.cost_usd for e in events if isinstance(e, Usage))
    assert child_cost > 0
    assert abs(outcome.cost_usd - (parent_usage + child_cost)) < 1e-9
    assert total.calls == 4 and own.calls == 2
    assert abs(total.cost_usd - outcome.cost_usd) < 1e-9


async def test_nesting_stops_at_the_depth_limit(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("task", task("coder", "[d1] delegate more"))]),
        Turn(when="[d1]", tool_calls=[ToolCallSpec("task", task("coder", "[d2] deeper"))]),
        Turn(when="[d2]", tool_calls=[ToolCallSpec("task", task("coder", "[d3] too deep"))]),
        Turn(when="[d2]", text="depth two done"),
        Turn(when="[d1]", text="depth one done"),
        Turn(text="ok"),
    )
    async with family(tmp_path, scripted_llm) as f:
        outcome = await f.parent.agent.run_turn("nest")
    assert outcome.status == "completed"
    assert "task" in tool_names(requests_with(scripted_llm, "[d1] delegate")[0])
    deepest = [b for b in requests_with(scripted_llm, "[d2] deeper") if "[d1]" not in str(b)]
    assert deepest and "task" not in tool_names(deepest[0])
    assert not requests_with(scripted_llm, "[d3]")[1:]  # nobody ran the third level


async def test_finder_runs_on_the_rush_model_and_oracle_on_the_strongest(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    tasks = [task("finder", "[f] where is main"), task("oracle", "[o] why is it slow")]
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("parallel_tasks", {"tasks": tasks})]),
        Turn(when="[f]", text="main.py:1"),
        Turn(when="[o]", text="because"),
        Turn(text="ok"),
    )
    async with family(tmp_path, scripted_llm) as f:
        await f.parent.agent.run_turn("investigate")
        started = [s.event for s in await f.parent.events() if isinstance(s.event, SubagentStarted)]
    assert requests_with(scripted_llm, "[f]")[0]["model"] == "claude-haiku-5-5"
    assert requests_with(scripted_llm, "[o]")[0]["model"] == "claude-opus-5-5"
    assert {e.subagent_type: e.model for e in started} == {
        "finder": "claude-haiku-5-5",
        "oracle": "claude-opus-5-5",
    }


async def test_auto_tasks_are_routed_by_the_cheap_model_with_the_reason_shown(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("task", task("auto", "[a] list the test files"))]),
        Turn(when="[a]", text='{"type": "finder", "reason": "a search task"}'),
        Turn(when="[a]", text="tests/test_x.py"),
        Turn(text="ok"),
    )
    async with family(tmp_path, scripted_llm) as f:
        await f.parent.agent.run_turn("route it")
        events = [s.event for s in await f.parent.events()]
    started = next(e for e in events if isinstance(e, SubagentStarted))
    result = next(e for e in events if isinstance(e, ToolCallFinished))
    assert started.subagent_type == "finder"
    assert started.route_reason == "a search task (model)"
    assert "Routed to finder: a search task" in result.content
    assert any(isinstance(e, Usage) and e.agent == "router" for e in events)


async def test_a_long_result_is_cut_for_the_parent_and_kept_whole_in_the_child_session(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    long = "word " * 12_000
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("task", task("researcher", "[l] write a lot"))]),
        Turn(when="[l]", text=long, delta_size=4000),
        Turn(text="ok"),
    )
    async with family(tmp_path, scripted_llm) as f:
        await f.parent.agent.run_turn("go")
        child = (await f.children())[0]
        history = await f.parent.store.events_after(child, 0)
        events = [s.event for s in await f.parent.events()]
    result = next(e for e in events if isinstance(e, ToolCallFinished))
    assert len(result.content) < 45_000
    assert f"the full result is in subagent session {child}" in result.content
    kept = [s.event.text for s in history if s.event.type == "assistant_message"]
    assert kept[-1] == long
