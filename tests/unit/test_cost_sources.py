"""Every model call is counted: compaction summaries and model titles publish their usage,
`codesm.pricing` overrides win over genai-prices, the turn budget sees subagents' cost, and
`--max-budget-usd` stops a headless run with `error_max_budget_usd`."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from codesm.agent.budgets import BudgetLimits
from codesm.agent.events import Compaction, Title, Usage
from codesm.agent.messages import UsageReport
from codesm.agent.ops import Compact
from codesm.agent.providers.pricing import ModelPrice, compute_cost
from codesm.agent.providers.registry import ModelInfo
from codesm.agent.runtime import build_model_registry
from codesm.cli import main
from codesm.config.settings import load_settings
from codesm.errors import ConfigError
from tests.support.agent_harness import agent_harness
from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn, UsageSpec
from tests.unit.subagent_support import family

TINY = [ModelInfo("claude-tiny", "anthropic", context_window=4000, max_output=1000)]
SUMMARY_USAGE = UsageSpec(input_tokens=3000, output_tokens=200, cache_read_tokens=100)
PRICE = ModelPrice(input=2.0, output=10.0, cache_read=0.5, cache_write=4.0)


def priced(usage: UsageSpec, price: ModelPrice = PRICE) -> float:
    report = UsageReport(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_read_tokens=usage.cache_read_tokens,
        cache_write_tokens=usage.cache_write_tokens,
    )
    return price.cost(report)


async def test_a_compaction_summary_publishes_its_usage_and_counts_in_totals_and_the_turn(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(text="noted", usage=UsageSpec(input_tokens=2900, output_tokens=5)),
        Turn(text="SUMMARY: a long log.", usage=SUMMARY_USAGE),
        Turn(text="answer after compaction", usage=UsageSpec(input_tokens=50, output_tokens=5)),
    )
    async with agent_harness(tmp_path, scripted_llm, models=TINY) as h:
        h.agent.deps.models.prices = {"claude-tiny": PRICE}
        await h.agent.run_turn("here is a long log: " + "line of log text " * 600)
        outcome = await h.agent.run_turn("what was it about?")
        events = [s.event for s in await h.events()]
        totals = await h.store.usage.totals(session_id=h.session_id)
    usages = [e for e in events if isinstance(e, Usage)]
    summary = [u for u in usages if u.agent == "compaction"]
    assert len(summary) == 1 and len(usages) == 3
    assert summary[0].cost_usd == pytest.approx(priced(SUMMARY_USAGE))
    assert summary[0].turn_id == outcome.turn_id
    assert summary[0].cache_read_tokens == 100
    compaction_at = next(i for i, e in enumerate(events) if isinstance(e, Compaction))
    assert events.index(summary[0]) < compaction_at
    assert totals.calls == 3
    assert totals.cost_usd == pytest.approx(sum(u.cost_usd for u in usages))
    # The turn that compacted pays for its summary (turn budgets and loop limits see it).
    turn_usages = [u.cost_usd for u in usages if u.turn_id == outcome.turn_id]
    assert outcome.cost_usd == pytest.approx(sum(turn_usages))


async def test_the_compact_op_outside_a_turn_publishes_its_usage_under_a_turn_of_its_own(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(Turn(text="first"), Turn(text="SUMMARY", usage=SUMMARY_USAGE))
    async with agent_harness(tmp_path, scripted_llm) as h:
        first = await h.agent.run_turn("hello")
        await h.agent.handle(Compact())
        usages = [s.event for s in await h.events() if isinstance(s.event, Usage)]
        totals = await h.store.usage.totals(session_id=h.session_id)
    summary = [u for u in usages if u.agent == "compaction"]
    assert len(summary) == 1
    assert summary[0].turn_id.startswith("compact-") and summary[0].turn_id != first.turn_id
    assert summary[0].cost_usd > 0
    assert totals.calls == 2 and totals.cost_usd == pytest.approx(sum(u.cost_usd for u in usages))


async def test_a_model_written_title_publishes_its_usage_as_the_title_agent(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    title_usage = UsageSpec(input_tokens=80, output_tokens=6)
    scripted_llm.script(Turn(text="hi there"), Turn(text="Greeting the user", usage=title_usage))
    async with agent_harness(tmp_path, scripted_llm) as h:
        h.agent.deps.title_with_model = True
        outcome = await h.agent.run_turn("hello")
        assert h.agent.titler.task is not None
        await asyncio.wait_for(h.agent.titler.task, 10)
        events = [s.event for s in await h.events()]
        totals = await h.store.usage.totals(session_id=h.session_id)
        rush = h.agent.deps.models.resolve(None, "rush")
    titles = [e.title for e in events if isinstance(e, Title)]
    assert titles[-1] == "Greeting the user"
    title_calls = [e for e in events if isinstance(e, Usage) and e.agent == "title"]
    assert len(title_calls) == 1 and title_calls[0].turn_id == outcome.turn_id
    expected = compute_cost(
        UsageReport(input_tokens=80, output_tokens=6), model=rush.info.id, provider="anthropic"
    ).usd
    assert expected and title_calls[0].cost_usd == pytest.approx(expected)
    assert totals.calls == 2 and totals.cost_usd == pytest.approx(outcome.cost_usd + expected)


def test_a_pricing_override_wins_over_genai_prices_and_the_local_rule() -> None:
    usage = UsageReport(
        input_tokens=1_000_000, output_tokens=100_000, cache_read_tokens=200_000,
        cache_write_tokens=50_000,
    )  # fmt: skip
    listed = compute_cost(usage, model="claude-sonnet-5-5", provider="anthropic")
    assert listed.source == "computed" and listed.usd
    override = compute_cost(usage, model="claude-sonnet-5-5", provider="anthropic", price=PRICE)
    assert override.source == "override"
    assert override.usd == pytest.approx(2.0 + 1.0 + 0.1 + 0.2)
    local = compute_cost(usage, model="qwen3:8b", provider="ollama", price=ModelPrice(1, 1))
    assert local.usd == pytest.approx(1.0 + 0.1 + 0.2 + 0.05)  # cache prices default to input
    reported = UsageReport(input_tokens=10, reported_cost_usd=0.25)
    assert compute_cost(reported, model="x", provider="openrouter", price=PRICE).usd == 0.25


def test_codesm_pricing_in_settings_reaches_the_resolved_model(tmp_path: Path) -> None:
    settings_file = tmp_path / "settings.json"
    settings_file.write_text(
        json.dumps(
            {
                "codesm.pricing": {
                    "claude-sonnet-5-5": {"input": 2, "output": 10, "cache_read": 0.5},
                    "ollama/qwen3:8b": {"input": 0.1, "output": 0.2, "cacheWrite": 0.3},
                }
            }
        )
    )
    settings = load_settings(tmp_path, settings_file=settings_file).settings
    env = {"ANTHROPIC_API_KEY": "sk-ant-test", "OLLAMA_HOST": "http://127.0.0.1:1"}
    models = build_model_registry(settings, env)
    sonnet = models.resolve("claude-sonnet-5-5")
    assert sonnet.price == ModelPrice(2.0, 10.0, 0.5, None)
    assert models.resolve("ollama/qwen3:8b").price == ModelPrice(0.1, 0.2, None, 0.3)
    assert models.resolve("ollama/llama3.2").price is None


def test_codesm_pricing_with_an_unknown_field_is_a_clear_error(tmp_path: Path) -> None:
    settings_file = tmp_path / "settings.json"
    settings_file.write_text(json.dumps({"codesm.pricing": {"m": {"input": 1, "outptu": 2}}}))
    with pytest.raises(ConfigError, match=r"codesm\.pricing"):
        load_settings(tmp_path, settings_file=settings_file)


async def test_the_turn_budget_counts_a_subagents_cost_before_the_next_call(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    small = UsageSpec(input_tokens=1_000, output_tokens=10)
    big = UsageSpec(input_tokens=200_000, output_tokens=20_000)
    task = {"subagent_type": "researcher", "prompt": "[sub] look", "description": "look"}
    scripted_llm.script(
        Turn(tool_calls=[ToolCallSpec("task", task)], usage=small),
        Turn(when="[sub]", text="found it", usage=big),
        Turn(text="never sent", usage=small),
    )
    async with family(tmp_path, scripted_llm) as f:
        agent = f.parent.agent
        agent.deps.models.prices = {"claude-sonnet-5-5": PRICE}
        agent.budgets.limits = BudgetLimits(turn_usd=priced(small) + priced(big) / 2)
        outcome = await asyncio.wait_for(agent.run_turn("spend"), 20)
    assert outcome.status == "paused" and outcome.budget_exceeded
    assert "turn budget" in (outcome.reason or "")
    assert outcome.cost_usd == pytest.approx(priced(small) + priced(big))
    assert len(scripted_llm.completion_requests()) == 2  # the parent's second call never went


def run_codesm(
    scripted_llm: ScriptedLLMServer, workspace: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    env.update(ANTHROPIC_API_KEY="sk-ant-test", ANTHROPIC_BASE_URL=scripted_llm.base_url)
    env.update(XDG_CONFIG_HOME=str(workspace.parent / "config"))
    env.update(XDG_DATA_HOME=str(workspace.parent / "data"))
    return subprocess.run(
        [sys.executable, "-m", "codesm", *args],
        capture_output=True, text=True, cwd=workspace, env=env, timeout=60, check=False,
    )  # fmt: skip


def test_max_budget_usd_stops_a_headless_run_with_exit_1_and_error_max_budget_usd(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    steps = [
        Turn(tool_calls=[ToolCallSpec("list", {"path": ".", "depth": i + 1})]) for i in range(3)
    ]
    scripted_llm.script(*steps)
    workspace = tmp_path / "ws"
    workspace.mkdir()
    done = run_codesm(
        scripted_llm, workspace, "-x", "go", "--stream-json", "--max-budget-usd", "0.000001"
    )
    assert done.returncode == 1, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["subtype"] == "error_max_budget_usd" and result["is_error"] is True
    assert "session budget of $0.0000 is spent" in result["errors"][0]
    assert len(scripted_llm.completion_requests()) == 1

    plain = run_codesm(scripted_llm, workspace, "-x", "go", "--max-budget-usd", "0.000001")
    assert plain.returncode == 1 and plain.stdout == ""
    assert "error_max_budget_usd" in plain.stderr and "session budget" in plain.stderr
    assert len(scripted_llm.completion_requests()) == 2


def test_max_budget_usd_must_be_a_positive_amount() -> None:
    result = CliRunner().invoke(main, ["--max-budget-usd", "0", "-x", "go"])
    assert result.exit_code == 2
    assert "--max-budget-usd" in result.output
