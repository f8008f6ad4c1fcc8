"""Cost of one model call. A price set in `codesm.pricing` wins; otherwise the bundled
`genai-prices` data. Local models cost 0 unless priced; a cost the provider reported itself
(OpenRouter) wins over everything; a model without a price gives `usd=None`, never an exception."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from genai_prices import Usage, calc_price

from codesm.agent.messages import UsageReport

if TYPE_CHECKING:
    from codesm.agent.providers.registry import ResolvedModel

CostSource = Literal["reported", "override", "computed", "local", "unknown"]

PRICE_PROVIDER_IDS: dict[str, str] = {
    "anthropic": "anthropic",
    "openai": "openai",
    "openrouter": "openrouter",
    "gemini": "google",
}
LOCAL_PROVIDERS = frozenset({"ollama", "openai-compatible"})
PER_TOKENS = 1_000_000


@dataclass(frozen=True)
class ModelPrice:
    """USD per million tokens (`codesm.pricing`). `input` is the uncached prompt; cache reads and
    writes default to the input price when not given."""

    input: float = 0.0
    output: float = 0.0
    cache_read: float | None = None
    cache_write: float | None = None

    def cost(self, usage: UsageReport) -> float:
        read = self.input if self.cache_read is None else self.cache_read
        write = self.input if self.cache_write is None else self.cache_write
        total = (
            usage.input_tokens * self.input
            + usage.output_tokens * self.output
            + usage.cache_read_tokens * read
            + usage.cache_write_tokens * write
        )
        return total / PER_TOKENS


def price_for(prices: Mapping[str, ModelPrice], model: str, provider: str) -> ModelPrice | None:
    """The override for `provider/model`, else for the bare `model` id."""
    return prices.get(f"{provider}/{model}") or prices.get(model)


@dataclass(frozen=True)
class Cost:
    usd: float | None
    source: CostSource

    @property
    def unknown(self) -> bool:
        """No price was found: show the call's tokens, not a made-up cost."""
        return self.usd is None


def compute_cost(
    usage: UsageReport, *, model: str, provider: str, price: ModelPrice | None = None
) -> Cost:
    """USD cost of `usage` on `model` served by codesm's `provider` name; `price` is the
    `codesm.pricing` override for that model, if any."""
    if usage.reported_cost_usd is not None:
        return Cost(usage.reported_cost_usd, "reported")
    if price is not None:
        return Cost(price.cost(usage), "override")
    if provider in LOCAL_PROVIDERS:
        return Cost(0.0, "local")
    price_provider = PRICE_PROVIDER_IDS.get(provider)
    if price_provider is None:
        return Cost(None, "unknown")
    # genai-prices wants the total prompt, cache reads and writes included.
    total_input = usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens
    prices_usage = Usage(
        input_tokens=total_input,
        cache_read_tokens=usage.cache_read_tokens,
        cache_write_tokens=usage.cache_write_tokens,
        output_tokens=usage.output_tokens,
    )
    try:
        computed = calc_price(prices_usage, model_ref=model, provider_id=price_provider)
    except Exception:  # genai-prices raises LookupError, ValueError, ... for unknown models
        return Cost(None, "unknown")
    return Cost(float(computed.total_price), "computed")


def cost_of(usage: UsageReport, resolved: ResolvedModel) -> Cost:
    """The cost of one call on a resolved model, its `codesm.pricing` override applied: the one
    cost function every model call (turns, subagents, compaction, titles) goes through."""
    return compute_cost(
        usage, model=resolved.info.id, provider=resolved.provider.name, price=resolved.price
    )
