from __future__ import annotations

import asyncio
from pathlib import Path

from codesm.agent.events import AssistantMessage, ToolCallFinished, TurnFinished, Usage
from codesm.agent.guard import TurnLimits
from codesm.agent.ops import Approve, Cancel, Deny, SubmitPrompt
from codesm.agent.transcript import validate_transcript
from tests.support.agent_harness import agent_harness
from tests.support.scripted_llm import Fault, ScriptedLLMServer, ToolCallSpec, Turn, UsageSpec


async def test_a_text_reply_finishes_the_turn_with_the_text(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(Turn(text="Hello there", usage=UsageSpec(input_tokens=10, output_tokens=3)))
    async with agent_harness(tmp_path, scripted_llm) as h:
        outcome = await h.agent.run_turn("hi")
        types = await h.types()
    assert outcome.status == "completed"
    assert outcome.text == "Hello there"
    assert types[:2] == ["turn_started", "user_message"]
    assert types[-2:] == ["turn_finished", "title"]
    assert "assistant_text_delta" in types and "usage" in types


async def test_tool_call_runs_and_its_result_goes_back_to_the_model(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(text="Reading.", tool_calls=[ToolCallSpec("read", {"path": "notes.txt"})]),
        Turn(text="The file says hello."),
    )
    async with agent_harness(tmp_path, scripted_llm) as h:
        (h.root / "notes.txt").write_text("hello from the file\n")
        outcome = await h.agent.run_turn("what is in notes.txt?")
        events = await h.events()
        history = await h.agent.history()
    assert outcome.status == "completed"
    finished = [s.event for s in events if isinstance(s.event, ToolCallFinished)]
    assert len(finished) == 1 and not finished[0].is_error
    assert "hello from the file" in finished[0].content
    second = scripted_llm.completion_requests()[1].body
    tool_results = [
        block
        for message in second["messages"]
        if isinstance(message["content"], list)
        for block in message["content"]
        if block.get("type") == "tool_result"
    ]
    assert "hello from the file" in str(tool_results[0]["content"])
    validate_transcript(history)


async def test_edit_in_auto_edit_mode_changes_the_file(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("read", {"path": "a.py"})]),
        Turn(
            tool_calls=[
                ToolCallSpec("edit", {"path": "a.py", "old_string": "x = 1", "new_string": "x = 2"})
            ]
        ),
        Turn(text="Changed."),
    )
    async with agent_harness(tmp_path, scripted_llm, permission_mode="auto-edit") as h:
        (h.root / "a.py").write_text("x = 1\n")
        outcome = await h.agent.run_turn("set x to 2")
        types = await h.types()
        assert (h.root / "a.py").read_text() == "x = 2\n"
    assert outcome.status == "completed"
    assert "change_proposed" in types and "change_applied" in types


async def test_edit_in_review_mode_waits_and_a_denial_with_comment_reaches_the_model(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("read", {"path": "a.py"})]),
        Turn(
            tool_calls=[
                ToolCallSpec("edit", {"path": "a.py", "old_string": "x = 1", "new_string": "x = 2"})
            ]
        ),
        Turn(text="Understood, leaving it."),
    )
    async with agent_harness(
        tmp_path, scripted_llm, permission_mode="review", interactive=True
    ) as h:
        (h.root / "a.py").write_text("x = 1\n")
        async with h.hub.subscribe(h.session_id) as events:
            await h.agent.handle(SubmitPrompt(text="set x to 2"))
            async for stored in events:
                if stored.event.type == "approval_requested":
                    assert h.agent.busy
                    assert (h.root / "a.py").read_text() == "x = 1\n"
                    await h.agent.handle(Deny(call_id=stored.event.call_id, comment="keep it 1"))
                if stored.event.type == "turn_finished":
                    break
        outcome = await h.agent.wait_idle()
        assert (h.root / "a.py").read_text() == "x = 1\n"
    assert outcome is not None and outcome.status == "completed"
    third = str(scripted_llm.completion_requests()[2].body["messages"])
    assert "keep it 1" in third


async def test_edit_in_review_mode_applies_after_approval(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("write", {"path": "new.txt", "content": "fresh\n"})]),
        Turn(text="Created."),
    )
    async with agent_harness(
        tmp_path, scripted_llm, permission_mode="review", interactive=True
    ) as h:
        async with h.hub.subscribe(h.session_id) as events:
            await h.agent.handle(SubmitPrompt(text="create new.txt"))
            async for stored in events:
                if stored.event.type == "approval_requested":
                    await h.agent.handle(Approve(call_id=stored.event.call_id))
                if stored.event.type == "turn_finished":
                    break
        await h.agent.wait_idle()
        assert (h.root / "new.txt").read_text() == "fresh\n"


async def test_headless_review_denies_edits_without_hanging(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("write", {"path": "new.txt", "content": "x"})]),
        Turn(text="I could not write it."),
    )
    async with agent_harness(
        tmp_path, scripted_llm, permission_mode="review", interactive=False
    ) as h:
        outcome = await asyncio.wait_for(h.agent.run_turn("write"), timeout=20)
        events = await h.events()
        assert not (h.root / "new.txt").exists()
    assert outcome.status == "completed"
    result = next(s.event for s in events if isinstance(s.event, ToolCallFinished))
    assert result.is_error and "non-interactive" in result.content


async def test_bad_tool_arguments_become_an_error_result_not_a_crash(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("read", {"paht": "typo.txt"})]),
        Turn(tool_calls=[ToolCallSpec("no_such_tool", {})]),
        Turn(text="Sorry."),
    )
    async with agent_harness(tmp_path, scripted_llm) as h:
        outcome = await h.agent.run_turn("go")
        results = [s.event for s in await h.events() if isinstance(s.event, ToolCallFinished)]
    assert outcome.status == "completed"
    assert [r.is_error for r in results] == [True, True]
    assert "Unknown tool" in results[1].content


async def test_the_third_identical_call_pauses_the_turn(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    same = ToolCallSpec("glob", {"pattern": "*.py"})
    scripted_llm.script(*(Turn(tool_calls=[same]) for _ in range(10)))
    async with agent_harness(tmp_path, scripted_llm) as h:
        outcome = await h.agent.run_turn("loop forever")
        history = await h.agent.history()
    assert outcome.status == "paused"
    assert len(scripted_llm.completion_requests()) == 3
    validate_transcript(history)


async def test_step_cap_pauses_a_long_turn(tmp_path: Path, scripted_llm: ScriptedLLMServer) -> None:
    scripted_llm.script(
        *(Turn(tool_calls=[ToolCallSpec("glob", {"pattern": f"*.{i}"})]) for i in range(10))
    )
    async with agent_harness(tmp_path, scripted_llm, limits=TurnLimits(max_steps=2)) as h:
        outcome = await h.agent.run_turn("go")
    assert outcome.status == "paused"
    assert "2 model steps" in (outcome.reason or "")


async def test_a_cut_stream_is_retried_and_the_partial_text_is_kept_as_incomplete(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Fault("cut", turn=Turn(text="half of a long answer " * 20), after_bytes=600),
        Turn(text="Complete answer."),
    )
    async with agent_harness(tmp_path, scripted_llm) as h:
        outcome = await h.agent.run_turn("answer")
        messages = [s.event for s in await h.events() if isinstance(s.event, AssistantMessage)]
        history = await h.agent.history()
    assert outcome.status == "completed"
    assert outcome.text == "Complete answer."
    assert [m.incomplete for m in messages] == [True, False]
    validate_transcript(history)
    assert "half of a long answer" not in str(history)


async def test_a_stream_that_keeps_breaking_ends_the_turn_as_an_error(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(*(Fault("cut", after_bytes=200) for _ in range(3)))
    async with agent_harness(tmp_path, scripted_llm) as h:
        outcome = await h.agent.run_turn("answer")
        finished = [s.event for s in await h.events() if isinstance(s.event, TurnFinished)]
    assert outcome.status == "error"
    assert "broke 3 times" in (outcome.reason or "")
    assert finished[-1].status == "error"


async def test_a_partial_tool_call_is_never_executed(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Fault(
            "partial_tool",
            turn=Turn(tool_calls=[ToolCallSpec("write", {"path": "x.txt", "content": "data"})]),
        ),
        Turn(text="ok"),
    )
    async with agent_harness(tmp_path, scripted_llm, permission_mode="allow-all") as h:
        await h.agent.run_turn("write")
        assert not (h.root / "x.txt").exists()
        types = await h.types()
    assert "tool_call_started" not in types


async def test_cancel_stops_a_stalled_stream_promptly(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(Fault("stall", turn=Turn(text="slow " * 50), after_bytes=100, stall_s=30))
    async with agent_harness(tmp_path, scripted_llm) as h:
        await h.agent.handle(SubmitPrompt(text="go"))
        await asyncio.sleep(0.5)
        await h.agent.handle(Cancel())
        outcome = await asyncio.wait_for(h.agent.wait_idle(), timeout=5)
        history = await h.agent.history()
    assert outcome is not None and outcome.status == "cancelled"
    validate_transcript(history)


async def test_usage_is_recorded_with_cost(tmp_path: Path, scripted_llm: ScriptedLLMServer) -> None:
    scripted_llm.script(
        Turn(text="hi", usage=UsageSpec(input_tokens=1000, output_tokens=100, cache_read_tokens=50))
    )
    async with agent_harness(tmp_path, scripted_llm) as h:
        outcome = await h.agent.run_turn("hi")
        usage = [s.event for s in await h.events() if isinstance(s.event, Usage)]
    assert len(usage) == 1
    assert usage[0].input_tokens == 1000 and usage[0].cache_read_tokens == 50
    assert usage[0].cost_usd > 0
    assert outcome.cost_usd == usage[0].cost_usd


async def test_the_next_turn_sends_the_whole_history(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(Turn(text="first answer"), Turn(text="second answer"))
    async with agent_harness(tmp_path, scripted_llm) as h:
        await h.agent.run_turn("first question")
        await h.agent.run_turn("second question")
    messages = scripted_llm.completion_requests()[1].body["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert "first answer" in str(messages[1])


async def test_works_the_same_through_the_openai_adapter(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("ls", {"path": "."})]),
        Turn(text="Listed."),
    )
    async with agent_harness(tmp_path, scripted_llm, provider="openai") as h:
        (h.root / "file.txt").write_text("x")
        outcome = await h.agent.run_turn("list")
    assert outcome.status == "completed"
    assert scripted_llm.completion_requests()[0].path == "/v1/chat/completions"
    assert "file.txt" in str(scripted_llm.completion_requests()[1].body["messages"])


async def test_works_the_same_through_the_ollama_adapter(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(Turn(tool_calls=[ToolCallSpec("ls", {"path": "."})]), Turn(text="Listed."))
    async with agent_harness(tmp_path, scripted_llm, provider="ollama") as h:
        outcome = await h.agent.run_turn("list")
        usage = [s.event for s in await h.events() if isinstance(s.event, Usage)]
    assert outcome.status == "completed"
    assert scripted_llm.completion_requests()[0].path == "/api/chat"
    assert all(u.cost_usd == 0 for u in usage)


async def test_first_turn_titles_the_session_from_the_prompt(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(Turn(text="ok"), Turn(text="ok again"))
    async with agent_harness(tmp_path, scripted_llm) as h:
        await h.agent.run_turn("Fix the flaky login test\nwith more detail here")
        await h.agent.run_turn("another prompt")
        session = await h.store.sessions.require(h.session_id)
        titles = [s.event for s in await h.events() if s.event.type == "title"]
    assert session.title == "Fix the flaky login test"
    assert len(titles) == 1


async def test_model_title_replaces_the_heuristic_when_enabled(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(Turn(text="done"), Turn(text='"Login test repair"'))
    async with agent_harness(tmp_path, scripted_llm) as h:
        h.agent.deps.title_with_model = True
        await h.agent.run_turn("please fix the login test that fails on CI sometimes")
        assert h.agent.titler.task is not None
        await h.agent.titler.task
        session = await h.store.sessions.require(h.session_id)
    assert session.title == "Login test repair"
