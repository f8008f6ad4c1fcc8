"""The context breakdown (`/context`) and the status bar's context levels."""

from __future__ import annotations

from pathlib import Path

import pytest

from codesm.agent.context_usage import (
    PromptSection,
    context_breakdown,
    context_usage,
    free_tokens,
    measure_request,
    report_rows,
    report_total,
    request_chars,
    tokens_in_context,
)
from codesm.agent.events import ContextReport, Usage
from codesm.agent.messages import Message, TextPart, ThinkingPart, ToolResultPart, ToolSpec
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


def test_breakdown_names_each_instruction_file_and_splits_the_conversation() -> None:
    agents_md = "Use tabs. " * 40
    claude_md = "Answer in French. " * 10
    skills = "<skills>\n- pdf: read PDFs\n</skills>"
    system = "You are codesm. " * 50 + agents_md + claude_md + skills
    sections = (
        PromptSection("instructions", "AGENTS.md", agents_md),
        PromptSection("instructions", "~/.config/codesm/AGENTS.md", claude_md),
        PromptSection("skills", "skills", skills),
    )
    tools = [
        ToolSpec(name="read", description="Read a file.", input_schema={"type": "object"}),
        ToolSpec(name="mcp__fs__list", description="List.", input_schema={"type": "object"}),
    ]
    messages = [
        Message(role="user", parts=[TextPart(text="hello " * 100)]),
        Message(
            role="assistant",
            parts=[ThinkingPart(text="hmm " * 300), TextPart(text="Let me read it.")],
        ),
        Message(role="user", parts=[ToolResultPart(call_id="c", content="x" * 4000)]),
    ]
    size = measure_request(system, messages, tools, sections)
    assert size.total == request_chars(system, messages, tools)
    plain = context_breakdown(size, model="m", context_window=100_000)
    assert [(f.name, f.tokens) for f in plain.instruction_files] == [
        ("AGENTS.md", len(agents_md) // 4),
        ("~/.config/codesm/AGENTS.md", len(claude_md) // 4),
    ]
    assert plain.instructions == sum(f.tokens for f in plain.instruction_files)
    assert plain.skills == round(len(skills) / 4)
    assert plain.system_prompt == round((len(system) - len(agents_md + claude_md + skills)) / 4)
    assert plain.mcp_tool_schemas > 0 and plain.tool_schemas > 0
    assert plain.tool_outputs > plain.thinking > plain.user_messages > plain.assistant_messages > 0
    assert plain.history == plain.user_messages + plain.assistant_messages
    assert not plain.calibrated
    assert report_total(plain) == pytest.approx(size.total / 4, abs=8)
    assert free_tokens(plain) == 100_000 - report_total(plain)
    labels = [row.label for row in report_rows(plain)]
    assert "Instructions: AGENTS.md" in labels and "Skills list" in labels
    assert sum(row.tokens for row in report_rows(plain)) == report_total(plain)
    assert "Thinking" in labels and "Tool outputs" in labels
    doubled = context_breakdown(size, model="m", context_window=1000, calibration=2.0)
    assert doubled.calibrated
    assert report_total(doubled) == pytest.approx(2 * report_total(plain), abs=8)


def test_sections_never_count_more_than_the_system_prompt_holds() -> None:
    size = measure_request(
        "short", [], [], (PromptSection("instructions", "AGENTS.md", "far longer text " * 9),)
    )
    assert size.system == 0 and size.instruction_files == (("AGENTS.md", 5),)


async def test_every_model_step_publishes_what_fills_the_window_and_it_agrees_with_usage(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    """The live panel's numbers: one report per model step, measured from the request that step
    sent plus its answer, totalling the status bar's figure (the step's prompt + output)."""
    agents_md = "Always run the tests. " * 200
    scripted_llm.script(
        Turn(
            tool_calls=[ToolCallSpec("read", {"path": "big.txt"})],
            usage=UsageSpec(input_tokens=300, cache_read_tokens=900, output_tokens=20),
        ),
        Turn(text="Read it.", usage=UsageSpec(input_tokens=2_500, output_tokens=30)),
    )
    async with agent_harness(tmp_path, scripted_llm) as h:
        h.agent.deps.system_prompt = lambda: "You are a test agent.\n" + agents_md
        h.agent.deps.prompt_sections = (PromptSection("instructions", "AGENTS.md", agents_md),)
        (h.root / "big.txt").write_text("word " * 2_000)
        await h.agent.run_turn("read big.txt")
        events = [s.event for s in await h.events()]
    reports = [e for e in events if isinstance(e, ContextReport)]
    usages = [e for e in events if isinstance(e, Usage)]
    assert [r.trigger for r in reports] == ["step", "step"]
    for report, usage in zip(reports, usages, strict=True):
        assert report.calibrated and report.turn_id == usage.turn_id
        assert report_total(report) == pytest.approx(tokens_in_context(usage), abs=10)
        assert [f.name for f in report.instruction_files] == ["AGENTS.md"]
    first, second = reports
    # The file read in step 1 is in the request of step 2 (and nowhere before it).
    assert first.tool_outputs == 0 and second.tool_outputs > 10 * second.user_messages > 0
    assert second.user_messages > 0 and second.assistant_messages > 0
    assert first.instruction_files[0].tokens > first.system_prompt


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
    assert [r.trigger for r in reports] == ["step", "step", "command"]
    report = reports[-1]
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
