"""Budgets: a warning at 80%, a question at 100% (continue, raise, stop), headless stops."""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from codesm.agent.budgets import BudgetLimits
from codesm.agent.events import ApprovalRequested, BudgetWarning, Usage
from codesm.agent.messages import UsageReport
from codesm.agent.ops import Approve, Deny, SetBudget, SubmitPrompt
from codesm.agent.providers.pricing import compute_cost
from codesm.headless.runner import HeadlessOptions, TurnFailed, run_headless
from tests.support.agent_harness import Harness, agent_harness
from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn, UsageSpec

STEP = UsageSpec(input_tokens=10_000, output_tokens=500)


def step_cost(h: Harness) -> float:
    model = h.agent.deps.models.resolve(None, "smart").info.id
    usage = UsageReport(input_tokens=STEP.input_tokens, output_tokens=STEP.output_tokens)
    cost = compute_cost(usage, model=model, provider="anthropic").usd
    assert cost
    return cost


def tool_steps(n: int) -> list[Turn]:
    """n model steps that each list a folder (with different arguments), then an answer."""
    steps = [
        Turn(tool_calls=[ToolCallSpec("list", {"path": ".", "depth": i + 1})], usage=STEP)
        for i in range(n)
    ]
    return [*steps, Turn(text="All done.", usage=STEP)]


async def run_answering(h: Harness, prompt: str, answer: str, *, raise_to: float = 0.0) -> None:
    """Run a turn interactively; answer the first budget question with `answer`, later ones
    with "continue"."""
    async with h.hub.subscribe(h.session_id) as events:
        await h.agent.handle(SubmitPrompt(text=prompt))
        async for stored in events:
            event = stored.event
            if isinstance(event, ApprovalRequested) and event.kind == "budget":
                if answer == "continue":
                    await h.agent.handle(Approve(call_id=event.call_id))
                elif answer == "raise":
                    await h.agent.handle(SetBudget(scope="turn", usd=raise_to))
                else:
                    await h.agent.handle(Deny(call_id=event.call_id))
                answer = "continue"
            if event.type == "turn_finished":
                break


async def test_a_warning_comes_at_80_percent_and_the_run_stops_before_the_call_past_100(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(*tool_steps(4))
    async with agent_harness(tmp_path, scripted_llm) as h:
        cost = step_cost(h)
        h.agent.budgets.limits = BudgetLimits(turn_usd=cost * 2.2)  # 45%, 91%, 136%
        outcome = await asyncio.wait_for(h.agent.run_turn("go"), timeout=20)
        events = [s.event for s in await h.events()]
    warnings = [e for e in events if isinstance(e, BudgetWarning)]
    assert [(w.scope, w.exceeded) for w in warnings] == [("turn", False), ("turn", True)]
    assert warnings[0].spent_usd == pytest.approx(cost * 2)
    usage_count_before_first_warning = [
        e.type for e in events[: events.index(warnings[0])] if isinstance(e, Usage)
    ]
    assert len(usage_count_before_first_warning) == 2
    # Three calls were made; the fourth was never sent.
    assert len(scripted_llm.completion_requests()) == 3
    assert outcome.status == "paused" and outcome.budget_exceeded
    assert "turn budget" in (outcome.reason or "") and "codesm.budget.turn" in (
        outcome.reason or ""
    )
    asked = [e for e in events if isinstance(e, ApprovalRequested)]
    assert [a.kind for a in asked] == ["budget"]


async def test_continue_at_100_percent_lets_the_turn_finish(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(*tool_steps(3))
    async with agent_harness(tmp_path, scripted_llm, interactive=True) as h:
        h.agent.budgets.limits = BudgetLimits(turn_usd=step_cost(h) * 1.5)
        await asyncio.wait_for(run_answering(h, "go", "continue"), timeout=20)
        outcome = await h.agent.wait_idle()
        asked = [s.event for s in await h.events() if isinstance(s.event, ApprovalRequested)]
    assert outcome is not None and outcome.status == "completed"
    assert not outcome.budget_exceeded
    assert len(asked) == 1  # asked once, then left alone for the rest of the turn
    assert len(scripted_llm.completion_requests()) == 4


async def test_stop_at_100_percent_pauses_the_turn_at_that_call(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(*tool_steps(3))
    async with agent_harness(tmp_path, scripted_llm, interactive=True) as h:
        h.agent.budgets.limits = BudgetLimits(turn_usd=step_cost(h) * 1.5)
        await asyncio.wait_for(run_answering(h, "go", "stop"), timeout=20)
        outcome = await h.agent.wait_idle()
    assert outcome is not None and outcome.status == "paused" and outcome.budget_exceeded
    assert len(scripted_llm.completion_requests()) == 2


async def test_raising_the_budget_answers_the_question_and_keeps_the_new_limit(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(*tool_steps(5))
    async with agent_harness(tmp_path, scripted_llm, interactive=True) as h:
        cost = step_cost(h)
        h.agent.budgets.limits = BudgetLimits(turn_usd=cost * 1.5)
        # Raised to 3.5 steps: asked at 2 steps, then again at 4 (the new limit holds).
        await asyncio.wait_for(run_answering(h, "go", "raise", raise_to=cost * 3.5), timeout=20)
        outcome = await h.agent.wait_idle()
        asked = [s.event for s in await h.events() if isinstance(s.event, ApprovalRequested)]
    assert len(asked) == 2
    assert h.agent.budgets.limits.turn_usd == pytest.approx(cost * 3.5)
    assert outcome is not None and outcome.status == "completed"


async def test_the_session_budget_counts_earlier_turns(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(Turn(text="First.", usage=STEP), *tool_steps(1))
    async with agent_harness(tmp_path, scripted_llm) as h:
        h.agent.budgets.limits = BudgetLimits(session_usd=step_cost(h) * 1.5)
        first = await h.agent.run_turn("one")
        second = await asyncio.wait_for(h.agent.run_turn("two"), timeout=20)
        warnings = [s.event for s in await h.events() if isinstance(s.event, BudgetWarning)]
    assert first.status == "completed"
    assert second.budget_exceeded and "session budget" in (second.reason or "")
    assert [(w.scope, w.exceeded) for w in warnings] == [("session", True)]
    assert len(scripted_llm.completion_requests()) == 2


async def test_headless_stops_with_error_max_budget_usd_in_stream_json(
    tmp_path: Path, scripted_llm: ScriptedLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    scripted_llm.script(*tool_steps(3))
    workspace = tmp_path / "ws"
    (workspace / ".codesm").mkdir(parents=True)
    (workspace / ".codesm" / "settings.json").write_text(
        json.dumps({"codesm.budget.session": 0.000001})
    )
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", scripted_llm.base_url)
    out = io.StringIO()
    options = HeadlessOptions(workspace=workspace, prompt="go", stream_json=True)
    with pytest.raises(TurnFailed) as failed:
        await run_headless(options, stdin=io.StringIO(), stdout=out)
    result = json.loads(out.getvalue().splitlines()[-1])
    assert result["type"] == "result"
    assert result["subtype"] == "error_max_budget_usd" and result["is_error"] is True
    assert "session budget" in result["errors"][0]
    assert failed.value.outcome.budget_exceeded
    assert "codesm.budget.session" in str(failed.value)
    assert len(scripted_llm.completion_requests()) == 1


def test_headless_command_exits_non_zero_with_a_clear_message_at_the_budget(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(*tool_steps(2))
    workspace = tmp_path / "ws"
    workspace.mkdir()
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"codesm.budget.turn": 0.000001}))
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    env.update(ANTHROPIC_API_KEY="sk-ant-test", ANTHROPIC_BASE_URL=scripted_llm.base_url)
    done = subprocess.run(
        [sys.executable, "-m", "codesm", "-x", "go", "--settings-file", str(settings)],
        capture_output=True, text=True, cwd=workspace, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stdout == ""
    assert "the turn budget of $0.0000 is spent" in done.stderr
    assert "codesm.budget.turn" in done.stderr


async def test_a_model_title_counts_against_the_turn_running_when_it_arrives(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    """The title of the first turn is written in the background; here it arrives while the
    second turn streams, so that turn's budget pays for it and stops before its next call."""
    free = UsageSpec(input_tokens=0, output_tokens=0)
    scripted_llm.script(
        Turn(text="Hello.", usage=free, when="[one]"),
        Turn(text="Greeting", when="Write a title", delay_s=1.0,
             usage=UsageSpec(input_tokens=1_000_000, output_tokens=100)),
        Turn(tool_calls=[ToolCallSpec("list", {"path": "."})], when="[two]", delay_s=3.0,
             usage=free),
        Turn(text="Never sent.", when="[two]", usage=free),
    )  # fmt: skip
    async with agent_harness(tmp_path, scripted_llm) as h:
        h.agent.deps.title_with_model = True
        h.agent.budgets.limits = BudgetLimits(turn_usd=0.1)
        first = await h.agent.run_turn("[one] hello")
        second = await asyncio.wait_for(h.agent.run_turn("[two] list the files"), 20)
        events = [s.event for s in await h.events()]
        rows = await h.store.db.fetchall("SELECT agent, turn_id, cost_usd FROM usage")
    title = [e for e in events if isinstance(e, Usage) and e.agent == "title"]
    assert len(title) == 1 and title[0].cost_usd > 0.1
    assert title[0].turn_id == second.turn_id != first.turn_id
    assert ("title", second.turn_id) in [(r["agent"], r["turn_id"]) for r in rows]
    assert second.status == "paused" and second.budget_exceeded
    assert "turn budget" in (second.reason or "")
    assert second.cost_usd == pytest.approx(title[0].cost_usd)
    assert len(scripted_llm.completion_requests()) == 3  # "Never sent." was never asked for


async def test_a_model_title_after_the_turn_counts_for_that_turn_and_the_session(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    free = UsageSpec(input_tokens=0, output_tokens=0)
    scripted_llm.script(
        Turn(text="Hello.", usage=free, when="[one]"),
        Turn(text="Greeting", when="Write a title",
             usage=UsageSpec(input_tokens=1_000_000, output_tokens=100)),
        Turn(text="Never sent.", usage=free, when="[two]"),
    )  # fmt: skip
    async with agent_harness(tmp_path, scripted_llm) as h:
        h.agent.deps.title_with_model = True
        first = await h.agent.run_turn("[one] hello")
        assert h.agent.titler.task is not None
        await asyncio.wait_for(h.agent.titler.task, 10)
        title = next(
            s.event for s in await h.events() if isinstance(s.event, Usage) and s.event.agent
        )
        assert h.agent.turn_budget is not None
        assert h.agent.turn_budget.cost_usd == pytest.approx(title.cost_usd)
        h.agent.budgets.limits = BudgetLimits(session_usd=title.cost_usd / 2)
        second = await asyncio.wait_for(h.agent.run_turn("[two] again"), 20)
    assert title.agent == "title" and title.turn_id == first.turn_id
    assert second.budget_exceeded and "session budget" in (second.reason or "")
    assert len(scripted_llm.completion_requests()) == 2
