"""Costs: genai-prices' own numbers for the usage the adapters report."""

from __future__ import annotations

import pytest
from genai_prices import extract_usage

from codesm.agent.messages import UsageReport
from codesm.agent.providers import compute_cost
from tests.support import llm_wire
from tests.support.providers import collect, user_request
from tests.support.scripted_llm import Turn, UsageSpec

USAGE = UsageSpec(
    input_tokens=1200, output_tokens=340, cache_read_tokens=5000, cache_write_tokens=800
)


async def test_anthropic_cost_with_cache_tokens_equals_genai_prices(scripted_llm, make_adapter):
    turn = Turn(text="ok", usage=USAGE)
    scripted_llm.script(turn)
    result = await collect(make_adapter("anthropic"), user_request(model="claude-sonnet-5-5"))
    [usage] = result.of(UsageReport)
    cost = compute_cost(usage, model="claude-sonnet-5-5", provider="anthropic")
    expected = extract_usage(
        llm_wire.anthropic_message(turn, "claude-sonnet-5-5", 1), provider_id="anthropic"
    ).calc_price()
    assert cost.source == "computed"
    assert cost.usd == float(expected.total_price)


async def test_openai_cost_with_cached_tokens_equals_genai_prices(scripted_llm, make_adapter):
    turn = Turn(
        text="ok", usage=UsageSpec(input_tokens=900, output_tokens=100, cache_read_tokens=4000)
    )
    scripted_llm.script(turn)
    result = await collect(make_adapter("openai"), user_request(model="gpt-5.5"))
    [usage] = result.of(UsageReport)
    cost = compute_cost(usage, model="gpt-5.5", provider="openai")
    body = llm_wire.openai_completion(turn, "gpt-5.5", 1, "openai")
    expected = extract_usage(body, provider_id="openai", api_flavor="chat").calc_price()
    assert cost.usd == float(expected.total_price)


def test_openrouters_reported_cost_wins():
    usage = UsageReport(input_tokens=10, output_tokens=10, reported_cost_usd=0.25)
    assert (
        compute_cost(usage, model="anthropic/claude-sonnet-5.5", provider="openrouter").usd == 0.25
    )


def test_openrouter_without_a_reported_cost_is_priced_from_its_own_table():
    usage = UsageReport(input_tokens=1000, output_tokens=1000)
    cost = compute_cost(usage, model="anthropic/claude-sonnet-4.5", provider="openrouter")
    assert cost.source == "computed" and cost.usd is not None and cost.usd > 0


@pytest.mark.parametrize("provider", ["ollama", "openai-compatible"])
def test_local_models_cost_nothing(provider):
    cost = compute_cost(
        UsageReport(input_tokens=10**6, output_tokens=10**6), model="x", provider=provider
    )
    assert (cost.usd, cost.source) == (0.0, "local")


def test_an_unknown_model_has_no_cost_and_says_so():
    cost = compute_cost(UsageReport(input_tokens=5), model="no-such-model-xyz", provider="openai")
    assert cost.usd is None and cost.unknown and cost.source == "unknown"


def test_gemini_is_priced_as_google():
    cost = compute_cost(
        UsageReport(input_tokens=1000, output_tokens=10),
        model="gemini-2.5-flash",
        provider="gemini",
    )
    assert cost.source == "computed" and cost.usd is not None and cost.usd > 0
