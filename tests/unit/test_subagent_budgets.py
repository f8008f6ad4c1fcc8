"""Budgets while subagents run: every child model call counts against the parent turn's budget as
it is made, and a spent budget pauses the whole run before any further child call (real parent
and child agents on the scripted LLM server, each child's replies routed by a marker)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from codesm.agent.agent import TurnOutcome
from codesm.agent.budgets import BudgetLimits
from codesm.agent.events import ApprovalRequested, SubagentFinished, Usage
from codesm.agent.ops import Deny, SetBudget
from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn, UsageSpec
from tests.unit.subagent_support import Family, family

CHILDREN = ("[c1]", "[c2]", "[c3]")
FREE = UsageSpec(input_tokens=0, output_tokens=0)
EXPENSIVE = UsageSpec(input_tokens=1_000_000, output_tokens=1_000)
"""One child step costs dollars; the turn budget below is spent by the first one."""
TURN_BUDGET = 0.5


def script_three_children(server: ScriptedLLMServer) -> None:
    tasks = [
        {"subagent_type": "researcher", "prompt": f"{m} survey part {i}", "description": m}
        for i, m in enumerate(CHILDREN)
    ]
    call = {"tasks": tasks, "max_concurrent": 3}
    server.script(
        Turn(tool_calls=[ToolCallSpec("parallel_tasks", call)], usage=FREE),
        *(
            Turn(
                when=m,
                tool_calls=[ToolCallSpec("list", {"path": ".", "depth": 1})],
                usage=EXPENSIVE,
            )
            for m in CHILDREN
        ),
        *(Turn(when=m, text=f"summary of {m}", usage=EXPENSIVE) for m in CHILDREN),
        Turn(text="All three surveyed.", usage=FREE),
    )


def second_steps(server: ScriptedLLMServer) -> list[str]:
    """The children whose second model call was sent (its request carries a tool result)."""
    sent = []
    for request in server.completion_requests():
        messages = request.body.get("messages") or []
        first = json.dumps(messages[:1])  # a child's conversation starts with its task prompt
        child = next((m for m in CHILDREN if m in first), None)
        if child is not None and '"tool_result"' in json.dumps(messages):
            sent.append(child)
    return sent


async def run_until_asked(
    f: Family, server: ScriptedLLMServer, answer: str
) -> tuple[TurnOutcome, list[str], int]:
    """Run the parent turn; at the budget question note which child second calls were already
    sent, then answer ("raise" or "stop"). Returns the outcome, those calls and the number of
    budget questions asked."""
    agent = f.parent.agent
    agent.budgets.limits = BudgetLimits(turn_usd=TURN_BUDGET)
    before_answer: list[str] | None = None
    questions = 0
    async with f.parent.hub.subscribe(f.parent.session_id) as events:
        running = asyncio.create_task(agent.run_turn("survey the three parts"))
        async for stored in events:
            event = stored.event
            if isinstance(event, ApprovalRequested) and event.kind == "budget":
                questions += 1
                if before_answer is None:
                    before_answer = second_steps(server)
                if answer == "raise":
                    await agent.handle(SetBudget(scope="turn", usd=1000.0))
                else:
                    await agent.handle(Deny(call_id=event.call_id))
            if event.type == "turn_finished":
                break
        outcome = await asyncio.wait_for(running, 30)
    assert before_answer is not None, "the budget question never came"
    return outcome, before_answer, questions


async def test_a_budget_spent_by_subagents_pauses_them_all_and_raising_lets_them_finish(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    script_three_children(scripted_llm)
    async with family(tmp_path, scripted_llm, interactive=True) as f:
        outcome, before_answer, questions = await run_until_asked(f, scripted_llm, "raise")
        events = [s.event for s in await f.parent.events()]
    finished = [e for e in events if isinstance(e, SubagentFinished)]
    # Paused before any child's next call; one question for the whole run, asked in the parent.
    assert before_answer == []
    assert questions == 1
    assert sorted(second_steps(scripted_llm)) == sorted(CHILDREN)
    assert [e.status for e in finished] == ["completed"] * 3
    assert outcome.status == "completed" and not outcome.budget_exceeded
    assert outcome.cost_usd > 6 * TURN_BUDGET  # the six child calls are the turn's cost


async def test_stopping_at_the_budget_cancels_the_subagents_before_their_next_call(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    script_three_children(scripted_llm)
    async with family(tmp_path, scripted_llm, interactive=True) as f:
        outcome, before_answer, _ = await run_until_asked(f, scripted_llm, "stop")
        events = [s.event for s in await f.parent.events()]
    finished = [e for e in events if isinstance(e, SubagentFinished)]
    assert before_answer == [] and second_steps(scripted_llm) == []
    assert finished and all(e.status == "cancelled" for e in finished)
    assert outcome.status == "paused" and outcome.budget_exceeded
    assert "turn budget" in (outcome.reason or "")
    parent_calls = [u for u in events if isinstance(u, Usage) and u.agent is None]
    assert len(parent_calls) == 1  # the parent never got to its final answer


async def test_headless_subagents_stop_at_the_budget_instead_of_overshooting(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    script_three_children(scripted_llm)
    async with family(tmp_path, scripted_llm, interactive=False) as f:
        f.parent.agent.budgets.limits = BudgetLimits(turn_usd=TURN_BUDGET)
        outcome = await asyncio.wait_for(f.parent.agent.run_turn("survey"), 30)
        events = [s.event for s in await f.parent.events()]
    asked = [e for e in events if isinstance(e, ApprovalRequested) and e.kind == "budget"]
    assert outcome.budget_exceeded and outcome.status == "paused"  # error_max_budget_usd
    assert len(asked) == 1
    assert second_steps(scripted_llm) == []
    assert all(e.status == "cancelled" for e in events if isinstance(e, SubagentFinished))
