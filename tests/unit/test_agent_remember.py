"""An "always allow" answer to a command approval becomes an allow rule for the rest of the
session: the same command then runs without asking again."""

from __future__ import annotations

from pathlib import Path

from codesm.agent.ops import Approve, SubmitPrompt, parse_op
from tests.support.agent_harness import agent_harness
from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn

COMMAND = "touch made.txt"


def bash_turn(call_id: str) -> Turn:
    return Turn(tool_calls=[ToolCallSpec("bash", {"command": COMMAND}, id=call_id)])


def test_an_approve_op_carries_an_optional_remember_scope() -> None:
    assert parse_op({"type": "approve", "call_id": "c1"}) == Approve(call_id="c1")
    op = parse_op({"type": "approve", "call_id": "c1", "remember": "session"})
    assert isinstance(op, Approve) and op.remember == "session"


async def test_allowing_a_command_always_for_the_session_stops_asking_for_it(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(bash_turn("first"), bash_turn("second"), Turn(text="Done twice."))
    async with agent_harness(
        tmp_path, scripted_llm, permission_mode="review", interactive=True
    ) as h:
        asked: list[str] = []
        async with h.hub.subscribe(h.session_id) as events:
            await h.agent.handle(SubmitPrompt(text="make the file twice"))
            async for stored in events:
                if stored.event.type == "approval_requested":
                    asked.append(stored.event.call_id)
                    await h.agent.handle(Approve(call_id=stored.event.call_id, remember="session"))
                if stored.event.type == "turn_finished":
                    break
        outcome = await h.agent.wait_idle()
    assert outcome is not None and outcome.status == "completed"
    assert asked == ["first"]
    assert (h.root / "made.txt").exists()


async def test_a_plain_approval_asks_again_for_the_same_command(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(bash_turn("first"), bash_turn("second"), Turn(text="Done twice."))
    async with agent_harness(
        tmp_path, scripted_llm, permission_mode="review", interactive=True
    ) as h:
        asked: list[str] = []
        async with h.hub.subscribe(h.session_id) as events:
            await h.agent.handle(SubmitPrompt(text="make the file twice"))
            async for stored in events:
                if stored.event.type == "approval_requested":
                    asked.append(stored.event.call_id)
                    await h.agent.handle(Approve(call_id=stored.event.call_id))
                if stored.event.type == "turn_finished":
                    break
        await h.agent.wait_idle()
    assert asked == ["first", "second"]
