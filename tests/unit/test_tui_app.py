"""The TUI driven by Textual's pilot against the real runtime and the scripted LLM server."""

from __future__ import annotations

from pathlib import Path

import pytest

from codesm.agent.events import SubagentFinished, TurnFinished, Usage
from codesm.tui.app import CodesmApp
from codesm.tui.approval import CommandApprovalScreen, EditApprovalScreen
from codesm.tui.chat import AssistantView, UserView
from codesm.tui.tools import ChangeView, ToolCallView
from tests.support.scripted_llm import Fault, ScriptedLLMServer, ToolCallSpec, Turn, UsageSpec
from tests.unit.tui_support import SIZE, open_runtime, screen_text, wait_for

OLD = "".join(f"line {n}\n" for n in range(1, 21))
NEW = OLD.replace("line 2\n", "TWO\n").replace("line 18\n", "EIGHTEEN\n")


async def type_prompt(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    app: CodesmApp = pilot.app
    app.prompt.input.value = text
    await pilot.press("enter")


async def finished_turns(app: CodesmApp) -> list[TurnFinished]:
    if app.session is None:
        return []
    events = await app.runtime.store.events_after(app.session.id, 0)
    return [s.event for s in events if isinstance(s.event, TurnFinished)]


async def test_a_prompt_streams_the_answer_as_markdown_and_updates_the_cost(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(text="Here is **bold** and a list:\n\n- one\n- two\n", usage=UsageSpec(10, 5)),
        Turn(text="Greeting title"),
    )
    async with open_runtime(tmp_path, scripted_llm) as runtime:
        app = CodesmApp(runtime)
        async with app.run_test(size=SIZE) as pilot:
            await type_prompt(pilot, "say hello")
            await wait_for(pilot, lambda: app.session is not None and not app.status.running
                           and app.query(AssistantView))  # fmt: skip
            await wait_for(pilot, lambda: "bold" in screen_text(app))
            assert [str(v.visual) for v in app.query(UserView)] == ["say hello"]
            answer = app.query_one(AssistantView)
            assert answer.text.startswith("Here is **bold**")
            text = screen_text(app)
            assert "Here is bold and a list" in text
            assert "• one" in text or "one" in text
            assert app.status.context_tokens == 15
            assert "ctx 15 tok" in text


async def test_a_tool_call_shows_as_a_line_with_status_and_expands_to_its_output(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(text="Running it.", tool_calls=[ToolCallSpec("bash", {"command": "echo hi there"})]),
        Turn(text="It printed hi there."),
        Turn(text="Echo title"),
    )
    async with open_runtime(tmp_path, scripted_llm, permission_mode="allow-all") as runtime:
        app = CodesmApp(runtime)
        async with app.run_test(size=SIZE) as pilot:
            await type_prompt(pilot, "run echo")
            await wait_for(
                pilot,
                lambda: app.query(ToolCallView) and app.query_one(ToolCallView).state != "running",
            )
            await wait_for(pilot, lambda: not app.status.running)
            tool = app.query_one(ToolCallView)
            assert tool.state == "ok"
            assert "hi there" in tool.output
            assert "✓  bash  echo hi there" in screen_text(app)
            tool.collapsed = False
            await pilot.pause()
            assert "hi there" in screen_text(app)


async def test_an_edit_is_reviewed_hunk_by_hunk_and_a_rejected_hunk_is_not_written(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("read", {"path": "a.txt"})]),
        Turn(tool_calls=[ToolCallSpec("write", {"path": "a.txt", "content": NEW})]),
        Turn(text="Done."),
        Turn(text="Edit title"),
    )
    async with open_runtime(tmp_path, scripted_llm) as runtime:
        (runtime.workspace / "a.txt").write_text(OLD)
        app = CodesmApp(runtime)
        async with app.run_test(size=SIZE) as pilot:
            await type_prompt(pilot, "rename two lines")
            await wait_for(pilot, lambda: isinstance(app.screen, EditApprovalScreen)
                           and app.screen.hunk_views())  # fmt: skip
            modal = app.screen
            assert isinstance(modal, EditApprovalScreen)
            assert [v.hunk.index for v in modal.hunk_views()] == [0, 1]
            shown = screen_text(app)
            assert "hunk 1/2" in shown and "TWO" in shown
            await pilot.press("down")  # focus the second hunk
            await pilot.press("space")  # reject it
            assert [v.accepted for v in modal.hunk_views()] == [True, False]
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: not app.status.running and app.session is not None)
            await wait_for(pilot, lambda: app.query_one(ChangeView).status == "applied")
        assert (runtime.workspace / "a.txt").read_text() == OLD.replace("line 2\n", "TWO\n")
    third = str(scripted_llm.completion_requests()[2].body["messages"])
    assert "applied hunk(s) 1 of 2" in third


async def test_rejecting_an_edit_with_a_comment_sends_the_comment_to_the_model(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("read", {"path": "a.txt"})]),
        Turn(tool_calls=[ToolCallSpec("write", {"path": "a.txt", "content": NEW})]),
        Turn(text="Leaving it."),
        Turn(text="Edit title"),
    )
    async with open_runtime(tmp_path, scripted_llm) as runtime:
        (runtime.workspace / "a.txt").write_text(OLD)
        app = CodesmApp(runtime)
        async with app.run_test(size=SIZE) as pilot:
            await type_prompt(pilot, "rename two lines")
            await wait_for(pilot, lambda: isinstance(app.screen, EditApprovalScreen)
                           and app.screen.hunk_views())  # fmt: skip
            app.screen.query_one("#comment").value = "keep the numbers"  # type: ignore[attr-defined]
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.session is not None and not app.status.running)
            await wait_for(pilot, lambda: app.query_one(ChangeView).status == "rejected")
        assert (runtime.workspace / "a.txt").read_text() == OLD
    assert "keep the numbers" in str(scripted_llm.completion_requests()[2].body["messages"])


async def test_always_allowing_a_command_does_not_ask_again_for_the_same_command(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    call = ToolCallSpec("bash", {"command": "touch made.txt"})
    scripted_llm.script(
        Turn(tool_calls=[call]),
        Turn(tool_calls=[ToolCallSpec("bash", {"command": "touch made.txt"})]),
        Turn(text="Made it twice."),
        Turn(text="Touch title"),
    )
    async with open_runtime(tmp_path, scripted_llm) as runtime:
        app = CodesmApp(runtime)
        async with app.run_test(size=SIZE) as pilot:
            await type_prompt(pilot, "make a file")
            await wait_for(pilot, lambda: isinstance(app.screen, CommandApprovalScreen)
                           and app.screen.query("#always"))  # fmt: skip
            assert "Always this session" in screen_text(app)
            await pilot.press("a")
            await wait_for(pilot, lambda: app.session is not None and not app.status.running)
            assert not isinstance(app.screen, CommandApprovalScreen)
            assert [t.state for t in app.query(ToolCallView)] == ["ok", "ok"]
        assert (runtime.workspace / "made.txt").exists()


async def test_escape_cancels_the_running_turn(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Fault("stall", turn=Turn(text="a long answer " * 20), after_bytes=100, stall_s=20)
    )
    async with open_runtime(tmp_path, scripted_llm) as runtime:
        app = CodesmApp(runtime)
        async with app.run_test(size=SIZE) as pilot:
            await type_prompt(pilot, "talk for a while")
            await wait_for(pilot, lambda: app.status.running)
            await pilot.pause(0.2)
            await pilot.press("escape")
            await wait_for(pilot, lambda: not app.status.running)
            turns = await finished_turns(app)
            assert [t.status for t in turns] == ["cancelled"]
            assert "turn cancelled" in screen_text(app)


async def test_tab_toggles_smart_and_rush_and_the_session_keeps_the_mode(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(Turn(text="ok"), Turn(text="Mode title"))
    async with open_runtime(tmp_path, scripted_llm) as runtime:
        app = CodesmApp(runtime)
        async with app.run_test(size=SIZE) as pilot:
            assert app.status.mode == "smart"
            await pilot.press("tab")
            assert app.status.mode == "rush"
            assert " RUSH " in screen_text(app)
            await type_prompt(pilot, "hi")
            await wait_for(pilot, lambda: app.session is not None and not app.status.running)
            assert app.session is not None
            assert (await runtime.store.sessions.require(app.session.id)).mode == "rush"
            await pilot.press("tab")
            await wait_for(pilot, lambda: app.status.mode == "smart")
            assert (await runtime.store.sessions.require(app.session.id)).mode == "smart"


async def test_switching_sessions_replays_the_other_session(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(Turn(text="first answer"), Turn(text="First title"))
    async with open_runtime(tmp_path, scripted_llm) as runtime:
        app = CodesmApp(runtime)
        async with app.run_test(size=SIZE) as pilot:
            await type_prompt(pilot, "first question")
            await wait_for(pilot, lambda: app.status.title == "First title")
            first = app.session
            assert first is not None
            await pilot.press("ctrl+n")
            assert app.session is None and not app.query(UserView)
            scripted_llm.push(Turn(text="second answer"), Turn(text="Second title"))
            await type_prompt(pilot, "second question")
            await wait_for(pilot, lambda: app.status.title == "Second title")
            await type_prompt(pilot, "/sessions")
            await wait_for(pilot, lambda: len(app.screen_stack) > 1)
            await pilot.press("down", "enter")
            await wait_for(pilot, lambda: app.session is not None and app.session.id == first.id)
            await wait_for(pilot, lambda: app.query(AssistantView))
            assert [str(v.visual) for v in app.query(UserView)] == ["first question"]
            assert app.query_one(AssistantView).text == "first answer"


async def test_a_subagents_own_tool_calls_are_nested_under_its_line(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    task = {"subagent_type": "researcher", "prompt": "[r] read a.txt", "description": "read it"}
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("task", task)]),
        Turn(when="[r]", tool_calls=[ToolCallSpec("read", {"path": "a.txt"})]),
        Turn(when="[r]", tool_calls=[ToolCallSpec("grep", {"pattern": "alpha"})]),
        Turn(when="[r]", text="a.txt says alpha"),
        Turn(text="The file says alpha."),
        Turn(text="Subagent title"),
    )
    async with open_runtime(tmp_path, scripted_llm, permission_mode="allow-all") as runtime:
        (runtime.workspace / "a.txt").write_text("alpha\n")
        app = CodesmApp(runtime)
        async with app.run_test(size=SIZE) as pilot:
            await type_prompt(pilot, "what does a.txt say?")
            await wait_for(pilot, lambda: app.status.title == "Subagent title")
            task_view = app.query_one(ToolCallView)
            assert task_view.tool_name == "task"
            await wait_for(
                pilot, lambda: [c.state for c in task_view.child_calls(0)] == ["ok", "ok"]
            )
            assert [c.name for c in task_view.child_calls(0)] == ["read", "grep"]
            task_view.collapsed = False
            await pilot.pause()
            shown = screen_text(app)
            assert "↳ 1 ✓ researcher" in shown
            assert "✓  read  a.txt" in shown and "✓  grep  alpha" in shown
            assert len(app.query(ToolCallView)) == 1  # not shown as the parent's own calls
            parent_events = [s.event for s in await runtime.store.events_after(app.session.id)]
            own = sum(e.cost_usd for e in parent_events if isinstance(e, Usage))
            child = next(e for e in parent_events if isinstance(e, SubagentFinished))
            assert {e.agent for e in parent_events if isinstance(e, Usage)} <= {None, "title"}
            assert app.status.cost_usd == pytest.approx(own + child.cost_usd)
            session = app.session
            assert session is not None
            await pilot.press("ctrl+n")
            await app.switch_to(session.id)  # replayed from the store: nested the same way
            await wait_for(pilot, lambda: app.query(ToolCallView)
                           and len(app.query_one(ToolCallView).child_calls(0)) == 2)  # fmt: skip


async def test_a_subagents_edit_is_reviewed_in_the_same_modal(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    task = {"subagent_type": "coder", "prompt": "[c] create new.txt", "description": "create"}
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("task", task)]),
        Turn(
            when="[c]", tool_calls=[ToolCallSpec("write", {"path": "new.txt", "content": "hi\n"})]
        ),
        Turn(when="[c]", text="Created new.txt"),
        Turn(text="Done."),
        Turn(text="Coder title"),
    )
    async with open_runtime(tmp_path, scripted_llm) as runtime:
        app = CodesmApp(runtime)
        async with app.run_test(size=SIZE) as pilot:
            await type_prompt(pilot, "make a file")
            await wait_for(pilot, lambda: isinstance(app.screen, EditApprovalScreen)
                           and app.screen.hunk_views())  # fmt: skip
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: app.status.title == "Coder title")
            task_view = app.query_one(ToolCallView)
            await wait_for(pilot, lambda: [c.state for c in task_view.child_calls(0)] == ["ok"])
        assert (runtime.workspace / "new.txt").read_text() == "hi\n"


async def test_bash_output_streams_into_the_tool_line_while_it_runs(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    command = "echo first; sleep 1; echo second"
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("bash", {"command": command})]),
        Turn(text="Both printed."),
        Turn(text="Stream title"),
    )
    async with open_runtime(tmp_path, scripted_llm, permission_mode="allow-all") as runtime:
        app = CodesmApp(runtime)
        async with app.run_test(size=SIZE) as pilot:
            await type_prompt(pilot, "print twice")
            await wait_for(pilot, lambda: app.query(ToolCallView)
                           and "first" in app.query_one(ToolCallView).output)  # fmt: skip
            tool = app.query_one(ToolCallView)
            assert tool.state == "running" and "second" not in tool.output
            await wait_for(pilot, lambda: tool.state == "ok")
            assert "second" in tool.output


async def test_always_in_this_project_is_remembered_for_the_next_session(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    from codesm.agent.permissions.answers import ProjectAnswers
    from codesm.agent.permissions.engine import PermissionEngine, ToolRequest
    from codesm.agent.runtime import permission_rule_sets

    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("bash", {"command": "touch made.txt"})]),
        Turn(text="Made it."),
        Turn(text="Touch title"),
    )
    async with open_runtime(tmp_path, scripted_llm) as runtime:
        app = CodesmApp(runtime)
        async with app.run_test(size=SIZE) as pilot:
            await type_prompt(pilot, "make a file")
            await wait_for(pilot, lambda: isinstance(app.screen, CommandApprovalScreen)
                           and app.screen.query("#project"))  # fmt: skip
            await pilot.press("p")
            await wait_for(pilot, lambda: app.session is not None and not app.status.running)
        root = runtime.workspace
    assert ProjectAnswers(root).path.exists()
    fresh = PermissionEngine(permission_rule_sets(root, None), workspace_root=root)
    assert fresh.decide(ToolRequest(tool="bash", command="touch made.txt")).action == "allow"
