"""Cost of one model call from the bundled `genai-prices` data. Local models cost 0; a cost the
provider reported itself (OpenRouter) wins; a model without a price gives `usd=None`, never an
exception."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from genai_prices import Usage, calc_price

from codesm.agent.messages import UsageReport

CostSource = Literal["reported", "computed", "local", "unknown"]

PRICE_PROVIDER_IDS: dict[str, str] = {
    "anthropic": "anthropic",
    "openai": "openai",
    "openrouter": "openrouter",
    "gemini": "google",
}
LOCAL_PROVIDERS = frozenset({"ollama", "openai-compatible"})


@dataclass(frozen=True)
class Cost:
    usd: float | None
    source: CostSource

    @property
    def unknown(self) -> bool:
        """No price was found: show the call's tokens, not a made-up cost."""
        return self.usd is None


def compute_cost(usage: UsageReport, *, model: str, provider: str) -> Cost:
    """USD cost of `usage` on `model` served by codesm's `provider` name."""
    if usage.reported_cost_usd is not None:
        return Cost(usage.reported_cost_usd, "reported")
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
        price = calc_price(prices_usage, model_ref=model, provider_id=price_provider)
    except Exception:  # genai-prices raises LookupError, ValueError, ... for unknown models
        return Cost(None, "unknown")
    return Cost(float(price.total_price), "computed")
