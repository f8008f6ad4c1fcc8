"""Provider-neutral conversation model shared by the transcript builder and the provider adapters.

A conversation is a list of `Message`s. Tool results travel in user-role messages (the Anthropic
shape); adapters for other wire protocols translate (OpenAI puts them in `role: "tool"` messages,
Ollama likewise). Adapters stream `ProviderEvent`s back; a tool call is only emitted once its
arguments are complete and parsed, so a broken stream can never run half a tool call.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TextPart(_Frozen):
    type: Literal["text"] = "text"
    text: str


class ThinkingPart(_Frozen):
    type: Literal["thinking"] = "thinking"
    text: str
    signature: str | None = None
    """Anthropic's signature for extended thinking; must be sent back unchanged."""


class ToolCallPart(_Frozen):
    type: Literal["tool_call"] = "tool_call"
    call_id: str
    name: str
    arguments: dict[str, Any]


class ToolResultPart(_Frozen):
    type: Literal["tool_result"] = "tool_result"
    call_id: str
    content: str
    is_error: bool = False


Part = Annotated[
    TextPart | ThinkingPart | ToolCallPart | ToolResultPart, Field(discriminator="type")
]


class Message(_Frozen):
    role: Literal["user", "assistant"]
    parts: list[Part]


class ToolSpec(_Frozen):
    """What the model is told about one tool."""

    name: str
    description: str
    input_schema: dict[str, Any]


class ProviderRequest(_Frozen):
    model: str
    """The provider's own model id (already resolved from any alias)."""
    system: str
    messages: list[Message]
    tools: list[ToolSpec] = []
    max_tokens: int = 8192
    thinking_budget: int | None = None
    """Token budget for extended thinking / reasoning; None disables it."""


class TextDelta(_Frozen):
    type: Literal["text_delta"] = "text_delta"
    text: str


class ThinkingDelta(_Frozen):
    type: Literal["thinking_delta"] = "thinking_delta"
    text: str


class ThinkingDone(_Frozen):
    """End of one thinking block, with the signature the provider requires back."""

    type: Literal["thinking_done"] = "thinking_done"
    text: str
    signature: str | None = None


class ToolCall(_Frozen):
    """A complete tool call whose arguments parsed as a JSON object."""

    type: Literal["tool_call"] = "tool_call"
    call_id: str
    name: str
    arguments: dict[str, Any]


class MalformedToolCall(_Frozen):
    """A complete tool call whose arguments were not a valid JSON object: never executed, the
    model is told what was wrong."""

    type: Literal["malformed_tool_call"] = "malformed_tool_call"
    call_id: str
    name: str
    raw_arguments: str
    error: str


class UsageReport(_Frozen):
    """Tokens of one model call, normalised: `input_tokens` excludes cache reads and writes."""

    type: Literal["usage"] = "usage"
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    reported_cost_usd: float | None = None
    """Cost the provider itself reported (OpenRouter); wins over computed prices."""


StopReason = Literal["end_turn", "tool_use", "max_tokens", "stop_sequence", "refusal", "other"]


class Stop(_Frozen):
    type: Literal["stop"] = "stop"
    reason: StopReason


class RetryScheduled(_Frozen):
    """The adapter will retry the request after `delay_s` (shown to the user, cancellable)."""

    type: Literal["retry"] = "retry"
    attempt: int
    delay_s: float
    reason: str


ProviderEvent = Annotated[
    TextDelta
    | ThinkingDelta
    | ThinkingDone
    | ToolCall
    | MalformedToolCall
    | UsageReport
    | Stop
    | RetryScheduled,
    Field(discriminator="type"),
]
