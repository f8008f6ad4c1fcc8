"""Build provider adapters pointed at a `ScriptedLLMServer` and collect what they stream."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Literal

from codesm.agent.messages import (
    Message,
    ProviderEvent,
    ProviderRequest,
    TextDelta,
    TextPart,
    ToolCall,
    ToolSpec,
)
from codesm.agent.providers.anthropic import AnthropicProvider
from codesm.agent.providers.base import RetryPolicy
from codesm.agent.providers.ollama import OllamaProvider
from codesm.agent.providers.openai import GEMINI, OPENROUTER, OpenAIProvider
from codesm.errors import ProviderError
from tests.support.scripted_llm import ScriptedLLMServer

AdapterKind = Literal["anthropic", "openai", "openrouter", "gemini", "ollama"]
ALL_KINDS: tuple[AdapterKind, ...] = ("anthropic", "openai", "openrouter", "ollama")
FAST_RETRY = RetryPolicy(initial_delay_s=0.01, max_delay_s=0.05)

READ_TOOL = ToolSpec(
    name="read",
    description="Read a file.",
    input_schema={"type": "object", "properties": {"path": {"type": "string"}}},
)


def make_provider(
    kind: AdapterKind,
    server: ScriptedLLMServer,
    *,
    retry: RetryPolicy = FAST_RETRY,
    idle_timeout_s: float = 10.0,
) -> AnthropicProvider | OpenAIProvider | OllamaProvider:
    if kind == "anthropic":
        return AnthropicProvider(
            api_key="sk-ant-test", base_url=server.base_url, retry=retry,
            idle_timeout_s=idle_timeout_s,
        )  # fmt: skip
    if kind == "ollama":
        return OllamaProvider(host=server.base_url, retry=retry, idle_timeout_s=idle_timeout_s)
    dialects = {"openrouter": OPENROUTER, "gemini": GEMINI}
    base_url = server.openrouter_base_url if kind == "openrouter" else server.openai_base_url
    return OpenAIProvider(
        api_key="sk-test",
        base_url=base_url,
        retry=retry,
        idle_timeout_s=idle_timeout_s,
        **({"dialect": dialects[kind]} if kind in dialects else {}),
    )


def user_request(text: str = "hi", **overrides: Any) -> ProviderRequest:
    fields: dict[str, Any] = {
        "model": "claude-sonnet-5-5",
        "system": "You are a test.",
        "messages": [Message(role="user", parts=[TextPart(text=text)])],
        "tools": [READ_TOOL],
    }
    return ProviderRequest(**{**fields, **overrides})


@dataclass
class Collected:
    events: list[ProviderEvent] = field(default_factory=list)
    error: ProviderError | None = None

    @property
    def text(self) -> str:
        return "".join(e.text for e in self.events if isinstance(e, TextDelta))

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    @property
    def tool_calls(self) -> list[ToolCall]:
        return self.of(ToolCall)


async def collect(
    provider: AnthropicProvider | OpenAIProvider | OllamaProvider,
    request: ProviderRequest | None = None,
    *,
    cancel: asyncio.Event | None = None,
) -> Collected:
    """Everything the provider streams, and the `ProviderError` that ended it (if any)."""
    out = Collected()
    try:
        async for event in provider.stream(request or user_request(), cancel=cancel):
            out.events.append(event)
    except ProviderError as exc:
        out.error = exc
    return out
