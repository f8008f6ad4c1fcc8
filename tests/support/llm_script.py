"""The script the scripted LLM server replays: `Turn`s and `Fault`s (see `scripted_llm`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

FaultKind = Literal[
    "408",
    "409",
    "400",
    "401",
    "403",
    "404",
    "413",
    "422",
    "429",
    "500",
    "503",
    "529",
    "reset",
    "cut",
    "stall",
    "error_event",
    "malformed",
    "partial_tool",
    "no_terminal",
]


@dataclass(frozen=True)
class ToolCallSpec:
    """One tool call the model makes. `args` as a dict is sent as JSON; as a str it is sent as is
    (use it for malformed arguments)."""

    name: str
    args: dict[str, Any] | str = field(default_factory=dict)
    id: str | None = None

    def arguments_json(self) -> str:
        import json

        return self.args if isinstance(self.args, str) else json.dumps(self.args)


@dataclass(frozen=True)
class UsageSpec:
    """Tokens the server reports. `input_tokens` excludes cache reads and writes (the Anthropic
    convention); the OpenAI dialect reports `prompt_tokens` = all three together."""

    input_tokens: int = 12
    output_tokens: int = 7
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    cost: float | None = None
    """OpenRouter's `usage.cost`; only sent on the OpenRouter path."""


@dataclass(frozen=True)
class Turn:
    """One model response."""

    text: str = ""
    thinking: str = ""
    signature: str = "c2lnbmF0dXJlLW9mLXRoaW5raW5n"
    tool_calls: tuple[ToolCallSpec, ...] | list[ToolCallSpec] = ()
    usage: UsageSpec = field(default_factory=UsageSpec)
    stop_reason: str | None = None
    """Dialect's own stop reason; default end_turn/stop, or tool_use/tool_calls with tool calls."""
    delta_size: int = 5
    """Characters per text, thinking and tool-argument delta."""
    chunk_at: tuple[int, ...] | None = None
    """Byte offsets of the response body at which HTTP chunks are split (server default if None)."""
    when: str | None = None
    """Serve this turn only to a request whose last user text contains this marker (concurrent
    agents each get their own replies); a marked turn that matches wins over unmarked ones."""
    delay_s: float = 0.0
    """Latency: seconds to wait before the response starts."""


@dataclass(frozen=True)
class Fault:
    """A failure instead of (or in the middle of) a turn.

    - "408", "409", "400", ..., "529": that HTTP status with the dialect's error JSON;
      `retry_after` / `retry_after_ms` set the headers, `message` the error message.
    - "reset": the connection is closed before any response header.
    - "cut": `turn` is streamed and the connection dropped after `after_bytes` body bytes
      (default: half the body).
    - "stall": `turn` is streamed, pausing `stall_s` after `after_bytes` body bytes (None: before
      the response headers).
    - "error_event": `turn`'s content, then an in-band error (Anthropic `event: error`, OpenAI
      `data: {"error": ...}`, Ollama `{"error": ...}`), then the body ends.
    - "malformed": `turn`'s content, then a line that is not valid SSE/JSON, then the body ends.
    - "partial_tool": `turn` (give it a tool call) streamed up to the middle of its last tool
      call's arguments, then the body ends cleanly.
    - "no_terminal": `turn` without its terminal event (Anthropic `message_stop`; OpenAI
      finish_reason, usage and `[DONE]`; Ollama the `done: true` line).
    """

    kind: FaultKind
    turn: Turn = field(default_factory=lambda: Turn(text="partial answer that gets cut"))
    retry_after: float | None = None
    retry_after_ms: int | None = None
    after_bytes: int | None = None
    stall_s: float = 30.0
    message: str | None = None
    when: str | None = None
    """As `Turn.when`."""
    delay_s: float = 0.0
    """As `Turn.delay_s`."""

    @property
    def status(self) -> int | None:
        return int(self.kind) if self.kind.isdigit() else None


ScriptItem = Turn | Fault


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    """The parsed JSON body (None when there was none or it was not JSON)."""
