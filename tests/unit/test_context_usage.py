"""The context breakdown (`/context`) and the status bar's context levels."""

from __future__ import annotations

from pathlib import Path

import pytest

from codesm.agent.context_usage import (
    context_breakdown,
    context_usage,
    report_total,
    tokens_in_context,
)
from codesm.agent.events import ContextReport, Usage
from codesm.agent.messages import Message, TextPart, ToolResultPart, ToolSpec
from codesm.agent.ops import ShowContext
from tests.support.agent_harness import agent_harness
from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn, UsageSpec


@pytest.mark.parametrize(
    ("tokens", "level", "percent"),
    [(0, "ok", 0.0), (99_999, "ok", 50.0), (100_000, "warn", 50.0), (160_000, "high", 80.0)],
)
def test_context_level_changes_at_50_and_80_percent_of_the_window(
    tokens: int, level: str, percent: float
) -> None:
    found = context_usage(tokens, 200_000)
    assert found.level == level
    assert found.percent == pytest.approx(percent, abs=0.05)


def test_tokens_in_context_count_the_whole_prompt_and_the_output() -> None:
    usage = Usage(
        turn_id="t", provider="anthropic", model="m", input_tokens=10,
        cache_read_tokens=200, cache_write_tokens=30, output_tokens=4,
    )  # fmt: skip
    assert tokens_in_context(usage) == 244


def test_breakdown_splits_system_instructions_tools_mcp_history_and_tool_outputs() -> None:
    instructions = "Use tabs. " * 40
    system = "You are codesm. " * 50 + instructions
    tools = [
        ToolSpec(name="read", description="Read a file.", input_schema={"type": "object"}),
        ToolSpec(name="mcp__fs__list", description="List.", input_schema={"type": "object"}),
    ]
    messages = [
        Message(role="user", parts=[TextPart(text="hello " * 100)]),
        Message(role="user", parts=[ToolResultPart(call_id="c", content="x" * 4000)]),
    ]
    plain = context_breakdown(
        model="m", context_window=1000, system=system, instructions=[instructions],
        messages=messages, tools=tools,
    )  # fmt: skip
    assert plain.instructions == len(instructions) // 4
    assert plain.system_prompt == (len(system) - len(instructions)) // 4
    assert plain.mcp_tool_schemas > 0 and plain.tool_schemas > 0
    assert plain.tool_outputs > plain.history > 0
    assert not plain.calibrated
    doubled = context_breakdown(
        model="m", context_window=1000, system=system, instructions=[instructions],
        messages=messages, tools=tools, calibration=2.0,
    )  # fmt: skip
    assert doubled.calibrated
    assert report_total(doubled) == pytest.approx(2 * report_total(plain), abs=6)


async def test_show_context_publishes_a_report_calibrated_by_the_last_usage(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(
            tool_calls=[ToolCallSpec("read", {"path": "big.txt"})],
            usage=UsageSpec(input_tokens=1_000, output_tokens=20),
        ),
        Turn(text="Read it.", usage=UsageSpec(input_tokens=2_000, output_tokens=20)),
    )
    async with agent_harness(tmp_path, scripted_llm) as h:
        (h.root / "big.txt").write_text("word " * 2_000)
        await h.agent.run_turn("read big.txt")
        await h.agent.handle(ShowContext())
        reports = [s.event for s in await h.events() if isinstance(s.event, ContextReport)]
    assert len(reports) == 1
    report = reports[0]
    assert report.calibrated and report.context_window > 0
    assert report.tool_outputs > report.history > 0
    assert report.system_prompt > 0 and report.tool_schemas > 0
    assert report.mcp_tool_schemas == 0
    # The last request was reported as 2,000 tokens; the breakdown is scaled to agree with it.
    assert 1_900 <= report_total(report) <= 2_300


def test_side_calls_say_nothing_about_the_conversation_context() -> None:
    from codesm.agent.context_usage import context_after
    from codesm.agent.events import Usage

    main = Usage(turn_id="t", provider="anthropic", model="m", input_tokens=500, output_tokens=20)
    title = main.model_copy(update={"agent": "title", "input_tokens": 40})
    assert context_after(main) == 520
    assert context_after(title) is None
