"""Costs from scripted usage, per-tool attribution, and the usage reports built on them."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from genai_prices import Usage as PricesUsage
from genai_prices import calc_price

from codesm.agent.events import Usage
from codesm.agent.providers.registry import ProviderName
from codesm.store.usage_reports import NO_TOOL, UsageFilter, UsageReports, cache_hit_rate
from tests.support.agent_harness import agent_harness
from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn, UsageSpec

PRICE_IDS = {"anthropic": "anthropic", "openai": "openai"}


def genai_price(spec: UsageSpec, *, model: str, provider: str) -> float:
    """What genai-prices itself says the scripted usage costs (its input is the whole prompt)."""
    total_input = spec.input_tokens + spec.cache_read_tokens + spec.cache_write_tokens
    price = calc_price(
        PricesUsage(
            input_tokens=total_input,
            cache_read_tokens=spec.cache_read_tokens,
            cache_write_tokens=spec.cache_write_tokens,
            output_tokens=spec.output_tokens,
        ),
        model_ref=model,
        provider_id=PRICE_IDS[provider],
    )
    assert price.total_price > Decimal(0)
    return float(price.total_price)


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
async def test_costs_of_scripted_usage_with_cache_tokens_equal_genai_prices_numbers(
    tmp_path: Path, scripted_llm: ScriptedLLMServer, provider: ProviderName
) -> None:
    first = UsageSpec(
        input_tokens=1_200, output_tokens=350, cache_read_tokens=40_000, cache_write_tokens=6_000
    )
    # OpenAI reports no cache writes: its prompt holds the fresh and the cached tokens only.
    if provider == "openai":
        first = UsageSpec(input_tokens=1_200, output_tokens=350, cache_read_tokens=40_000)
    second = UsageSpec(input_tokens=900, output_tokens=120, cache_read_tokens=46_000)
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("list", {"path": "."})], usage=first),
        Turn(text="Done.", usage=second),
    )
    async with agent_harness(tmp_path, scripted_llm, provider=provider) as h:
        outcome = await h.agent.run_turn("look around")
        usages = [s.event for s in await h.events() if isinstance(s.event, Usage)]
        totals = await h.store.usage.totals(session_id=h.session_id)
    assert outcome.status == "completed"
    assert [(u.input_tokens, u.cache_read_tokens, u.cache_write_tokens) for u in usages] == [
        (s.input_tokens, s.cache_read_tokens, s.cache_write_tokens) for s in (first, second)
    ]
    expected = [genai_price(s, model=usages[0].model, provider=provider) for s in (first, second)]
    assert [u.cost_usd for u in usages] == pytest.approx(expected, rel=1e-9)
    assert totals.cost_usd == pytest.approx(sum(expected), rel=1e-9)
    assert outcome.cost_usd == pytest.approx(sum(expected), rel=1e-9)


async def test_a_steps_cost_is_attributed_to_the_tool_calls_it_made(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(
            tool_calls=[
                ToolCallSpec("list", {"path": "."}, id="call_a"),
                ToolCallSpec("read", {"path": "a.txt"}, id="call_b"),
            ],
            usage=UsageSpec(input_tokens=3_000, output_tokens=200),
        ),
        Turn(
            tool_calls=[ToolCallSpec("read", {"path": "a.txt", "offset": 1}, id="call_c")],
            usage=UsageSpec(input_tokens=4_000, output_tokens=100),
        ),
        Turn(text="It says a.", usage=UsageSpec(input_tokens=5_000, output_tokens=50)),
    )
    async with agent_harness(tmp_path, scripted_llm) as h:
        (h.root / "a.txt").write_text("a\n")
        await h.agent.run_turn("what is in a.txt?")
        usages = [s.event for s in await h.events() if isinstance(s.event, Usage)]
        reports = UsageReports(h.store.db)
        by_tool = {g.key: g.totals for g in await reports.grouped("tool")}
        total = await reports.totals()
        rows = await reports.rows()
    assert [[c.name for c in u.tool_calls] for u in usages] == [["list", "read"], ["read"], []]
    assert usages[0].tool_calls[0].call_id == "call_a"
    first, second, third = (u.cost_usd for u in usages)
    assert by_tool["list"].cost_usd == pytest.approx(first / 2)
    assert by_tool["read"].cost_usd == pytest.approx(first / 2 + second)
    assert by_tool["read"].calls == 2
    assert by_tool[NO_TOOL].cost_usd == pytest.approx(third)
    assert sum(t.cost_usd for t in by_tool.values()) == pytest.approx(total.cost_usd)
    assert [r.tools for r in rows] == [("list", "read"), ("read",), ()]


async def test_reports_group_by_session_day_model_and_agent_with_the_same_total(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(text="One.", usage=UsageSpec(input_tokens=100, output_tokens=10)),
        Turn(text="Two.", usage=UsageSpec(input_tokens=200, cache_read_tokens=600)),
    )
    async with agent_harness(tmp_path, scripted_llm) as h:
        await h.agent.run_turn("first question")
        await h.agent.run_turn("second question, the bigger one")
        reports = UsageReports(h.store.db)
        total = await reports.totals()
        groups = {by: await reports.grouped(by) for by in ("session", "day", "model", "agent")}
        turns = await reports.top_turns()
        other = await reports.totals(UsageFilter(session_id="nope"))
    for by, found in groups.items():
        assert len(found) == 1, by
        assert found[0].totals.cost_usd == pytest.approx(total.cost_usd), by
        assert found[0].totals.calls == 2
    assert groups["session"][0].key == h.session_id
    assert groups["session"][0].label == "first question"  # the heuristic title
    assert groups["agent"][0].key == "main"
    assert [t.prompt for t in turns] == ["second question, the bigger one", "first question"]
    assert turns[0].session_id == h.session_id
    assert cache_hit_rate(total) == pytest.approx(600 / 900)
    assert other.calls == 0
