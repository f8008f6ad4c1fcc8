"""Claude Code-compatible `--stream-json` output: one JSON object per line, built from events.

Shapes follow Claude Code's headless mode (and the claude-agent-sdk parser): `system`/`init`,
`assistant` (an Anthropic-shaped message with `usage`), `user` (tool results), optional
`stream_event` deltas, and a closing `result`. Thinking blocks appear only when asked for
(`--stream-json-thinking`, an extension as in Amp).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from codesm.agent.events import (
    AssistantMessage,
    AssistantTextDelta,
    Event,
    ThinkingDelta,
    ToolCallFinished,
    Usage,
)
from codesm.security.redact import Redactor
from codesm.web.render.held import StreamHold


@dataclass
class ModelTotals:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float = 0.0

    def add(self, usage: Usage) -> None:
        self.input_tokens += usage.input_tokens
        self.output_tokens += usage.output_tokens
        self.cache_read_tokens += usage.cache_read_tokens
        self.cache_write_tokens += usage.cache_write_tokens
        self.cost_usd += usage.cost_usd

    def anthropic_usage(self) -> dict[str, int]:
        return {
            "input_tokens": self.input_tokens,
            "cache_creation_input_tokens": self.cache_write_tokens,
            "cache_read_input_tokens": self.cache_read_tokens,
            "output_tokens": self.output_tokens,
        }


@dataclass
class StreamJsonWriter:
    """Turns a session's events into stream-json lines on `out` (flushed per line)."""

    out: IO[str]
    session_id: str
    include_thinking: bool = False
    include_partial: bool = False
    model: str = ""
    totals: ModelTotals = field(default_factory=ModelTotals)
    by_model: dict[str, ModelTotals] = field(default_factory=dict)
    num_turns: int = 0
    _last_usage: dict[str | None, Usage] = field(default_factory=dict)
    redact: Callable[[str], str] = str
    """Applied to every string in every line (stream-json output is a log: see runner.py)."""
    hold_for: Redactor | None = None
    """With `redact`: partial deltas are held back until no secret can span two of them (each
    delta redacted alone would pass both halves of a split key); the rest goes out with the
    message."""
    _holds: dict[tuple[str | None, str], StreamHold] = field(default_factory=dict)

    def write(self, obj: dict[str, Any]) -> None:
        line = json.dumps(_redacted(obj, self.redact), ensure_ascii=False, separators=(",", ":"))
        self.out.write(line + "\n")
        self.out.flush()

    def init(
        self,
        *,
        cwd: str,
        model: str,
        tools: list[str],
        permission_mode: str,
        version: str,
        mcp_servers: list[dict[str, str]] | None = None,
    ) -> None:
        self.model = model
        self.write(
            {
                "type": "system",
                "subtype": "init",
                "session_id": self.session_id,
                "cwd": cwd,
                "model": model,
                "tools": tools,
                "mcp_servers": list(mcp_servers or []),
                "permissionMode": permission_mode,
                "apiKeySource": "none",
                "slash_commands": ["compact"],
                "codesm_version": version,
                "uuid": uuid.uuid4().hex,
            }
        )

    def user_prompt(self, text: str) -> None:
        """Echo a prompt read from `--stream-json-input`, as Claude does with replay."""
        self.write(self._envelope("user", {"role": "user", "content": text}))

    def on_event(self, event: Event, parent_tool_use_id: str | None = None) -> None:
        """Write what `event` shows; a subagent's events carry the `parent_tool_use_id` of the
        tool call that started it (its cost counts in the totals, its steps not in num_turns)."""
        parent = parent_tool_use_id
        match event:
            case Usage():
                self._last_usage[parent] = event
                self.totals.add(event)
                self.by_model.setdefault(event.model, ModelTotals()).add(event)
                if parent is None:
                    self.model = event.model
            case AssistantTextDelta() if self.include_partial:
                self._delta({"type": "text_delta", "text": self._held(event.text, parent)}, parent)
            case ThinkingDelta() if self.include_partial and self.include_thinking:
                text = self._held(event.text, parent, "thinking")
                self._delta({"type": "thinking_delta", "thinking": text}, parent)
            case AssistantMessage():
                self._release(parent)
                self._assistant(event, parent)
            case ToolCallFinished():
                block = {
                    "type": "tool_result",
                    "tool_use_id": event.call_id,
                    "content": event.content,
                    "is_error": event.is_error,
                }
                self.write(self._envelope("user", {"role": "user", "content": [block]}, parent))
            case _:
                pass

    def _assistant(self, event: AssistantMessage, parent: str | None = None) -> None:
        if parent is None:
            self.num_turns += 1
        content: list[dict[str, Any]] = []
        if self.include_thinking:
            content += [
                {"type": "thinking", "thinking": t.text, "signature": t.signature or ""}
                for t in event.thinking
            ]
        if event.text:
            content.append({"type": "text", "text": event.text})
        content += [
            {"type": "tool_use", "id": c.call_id, "name": c.name, "input": c.arguments}
            for c in event.tool_calls
        ]
        usage = self._last_usage.pop(parent, None)
        message = {
            "id": f"msg_{uuid.uuid4().hex[:24]}",
            "type": "message",
            "role": "assistant",
            "model": usage.model if usage else self.model,
            "content": content,
            "stop_reason": event.stop_reason,
            "usage": _usage_dict(usage),
        }
        self.write(self._envelope("assistant", message, parent))

    def _held(self, text: str, parent: str | None, kind: str = "text") -> str:
        if self.hold_for is None:
            return text
        hold = self._holds.setdefault((parent, kind), StreamHold(self.hold_for))
        return hold.feed(text)

    def _release(self, parent: str | None) -> None:
        """The message is whole: what its deltas still hold back goes out now."""
        for kind in ("text", "thinking"):
            hold = self._holds.pop((parent, kind), None)
            if hold is not None:
                self._delta({"type": f"{kind}_delta", kind: hold.pending}, parent)

    def _delta(self, delta: dict[str, Any], parent: str | None = None) -> None:
        if not any(delta.get(key) for key in ("text", "thinking")):
            return  # all held back for now
        self.write(
            {
                "type": "stream_event",
                "event": {"type": "content_block_delta", "index": 0, "delta": delta},
                "session_id": self.session_id,
                "parent_tool_use_id": parent,
                "uuid": uuid.uuid4().hex,
            }
        )

    def _envelope(
        self, kind: str, message: dict[str, Any], parent: str | None = None
    ) -> dict[str, Any]:
        return {
            "type": kind,
            "message": message,
            "session_id": self.session_id,
            "parent_tool_use_id": parent,
            "uuid": uuid.uuid4().hex,
        }

    def result(
        self,
        *,
        subtype: str,
        is_error: bool,
        result: str,
        duration_ms: int,
        duration_api_ms: int,
        errors: list[str] | None = None,
    ) -> None:
        line: dict[str, Any] = {
            "type": "result",
            "subtype": subtype,
            "is_error": is_error,
            "duration_ms": duration_ms,
            "duration_api_ms": duration_api_ms,
            "num_turns": self.num_turns,
            "result": result,
            "session_id": self.session_id,
            "total_cost_usd": round(self.totals.cost_usd, 8),
            "usage": self.totals.anthropic_usage(),
            "modelUsage": {
                model: {
                    "inputTokens": t.input_tokens,
                    "outputTokens": t.output_tokens,
                    "cacheReadInputTokens": t.cache_read_tokens,
                    "cacheCreationInputTokens": t.cache_write_tokens,
                    "costUSD": round(t.cost_usd, 8),
                }
                for model, t in self.by_model.items()
            },
            "permission_denials": [],
        }
        if errors:
            line["errors"] = errors
        self.write(line)


def _usage_dict(usage: Usage | None) -> dict[str, int]:
    if usage is None:
        return {"input_tokens": 0, "output_tokens": 0}
    return {
        "input_tokens": usage.input_tokens,
        "cache_creation_input_tokens": usage.cache_write_tokens,
        "cache_read_input_tokens": usage.cache_read_tokens,
        "output_tokens": usage.output_tokens,
    }


def _redacted(value: Any, redact: Callable[[str], str]) -> Any:
    """`value` with `redact` applied to each string in it, before it becomes JSON (redacting the
    JSON text itself could let a pattern run over its quotes)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redacted(item, redact) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(item, redact) for item in value]
    return value
