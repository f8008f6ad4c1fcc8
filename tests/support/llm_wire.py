"""Bytes on the wire for each dialect the scripted LLM server speaks.

A streamed turn is rendered as tagged frames: "content", "tool_arg:<k>" (a piece of tool call k's
arguments) and "terminal" (what marks a complete response). Faults are applied to the frames.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any, Literal

from tests.support.llm_script import Fault, Turn, UsageSpec

Dialect = Literal["anthropic", "openai", "openrouter", "ollama"]
Frame = tuple[str, bytes]


def _pieces(text: str, size: int) -> Iterator[str]:
    for i in range(0, len(text), max(1, size)):
        yield text[i : i + max(1, size)]


def tool_id(dialect: Dialect, turn_no: int, k: int, given: str | None) -> str:
    if given:
        return given
    return f"toolu_{turn_no:04d}{k:02d}" if dialect == "anthropic" else f"call_{turn_no:04d}{k:02d}"


def _sse(event: str | None, data: Any) -> bytes:
    payload = data if isinstance(data, str) else json.dumps(data)
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n".encode()


# --- Anthropic ---------------------------------------------------------------------------------


def anthropic_stop_reason(turn: Turn) -> str:
    return turn.stop_reason or ("tool_use" if turn.tool_calls else "end_turn")


def anthropic_usage(usage: UsageSpec, output_tokens: int) -> dict[str, Any]:
    return {
        "input_tokens": usage.input_tokens,
        "cache_creation_input_tokens": usage.cache_write_tokens,
        "cache_read_input_tokens": usage.cache_read_tokens,
        "output_tokens": output_tokens,
    }


def anthropic_frames(turn: Turn, model: str, turn_no: int) -> list[Frame]:
    frames: list[Frame] = []

    def ev(kind: str, data: dict[str, Any], tag: str = "content") -> None:
        frames.append((tag, _sse(kind, {"type": kind, **data})))

    message = {
        "id": f"msg_{turn_no:08d}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": anthropic_usage(turn.usage, 1),
    }
    ev("message_start", {"message": message})
    frames.append(("content", _sse("ping", {"type": "ping"})))
    index = 0
    if turn.thinking:
        ev("content_block_start", {"index": index, "content_block": _thinking_block("", "")})
        for piece in _pieces(turn.thinking, turn.delta_size):
            ev("content_block_delta", {"index": index, "delta": _delta("thinking", piece)})
        sig = {"type": "signature_delta", "signature": turn.signature}
        ev("content_block_delta", {"index": index, "delta": sig})
        ev("content_block_stop", {"index": index})
        index += 1
    if turn.text:
        ev("content_block_start", {"index": index, "content_block": {"type": "text", "text": ""}})
        for piece in _pieces(turn.text, turn.delta_size):
            ev("content_block_delta", {"index": index, "delta": _delta("text", piece)})
        ev("content_block_stop", {"index": index})
        index += 1
    for k, call in enumerate(turn.tool_calls):
        block = {
            "type": "tool_use",
            "id": tool_id("anthropic", turn_no, k, call.id),
            "name": call.name,
            "input": {},
        }
        ev("content_block_start", {"index": index, "content_block": block})
        for piece in ["", *_pieces(call.arguments_json(), turn.delta_size)]:
            delta = {"type": "input_json_delta", "partial_json": piece}
            ev("content_block_delta", {"index": index, "delta": delta}, f"tool_arg:{k}")
        ev("content_block_stop", {"index": index})
        index += 1
    delta = {"stop_reason": anthropic_stop_reason(turn), "stop_sequence": None}
    ev("message_delta", {"delta": delta, "usage": {"output_tokens": turn.usage.output_tokens}})
    ev("message_stop", {}, "terminal")
    return frames


def _thinking_block(thinking: str, signature: str) -> dict[str, Any]:
    return {"type": "thinking", "thinking": thinking, "signature": signature}


def _delta(kind: str, piece: str) -> dict[str, Any]:
    return {"type": f"{kind}_delta", kind: piece}


def anthropic_message(turn: Turn, model: str, turn_no: int) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    if turn.thinking:
        content.append(_thinking_block(turn.thinking, turn.signature))
    if turn.text:
        content.append({"type": "text", "text": turn.text})
    for k, call in enumerate(turn.tool_calls):
        args = json.loads(call.arguments_json()) if call.arguments_json() else {}
        content.append(
            {
                "type": "tool_use",
                "id": tool_id("anthropic", turn_no, k, call.id),
                "name": call.name,
                "input": args,
            }
        )
    return {
        "id": f"msg_{turn_no:08d}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": anthropic_stop_reason(turn),
        "stop_sequence": None,
        "usage": anthropic_usage(turn.usage, turn.usage.output_tokens),
    }


# --- OpenAI / OpenRouter -----------------------------------------------------------------------


def openai_usage(usage: UsageSpec, dialect: Dialect) -> dict[str, Any]:
    prompt = usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens
    details: dict[str, Any] = {"cached_tokens": usage.cache_read_tokens}
    out: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": usage.output_tokens,
        "total_tokens": prompt + usage.output_tokens,
        "prompt_tokens_details": details,
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
    }
    if dialect == "openrouter":
        details["cache_write_tokens"] = usage.cache_write_tokens
        if usage.cost is not None:
            out["cost"] = usage.cost
    return out


def openai_frames(
    turn: Turn, model: str, turn_no: int, dialect: Dialect, include_usage: bool
) -> list[Frame]:
    frames: list[Frame] = []
    created = int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None, tag: str = "content") -> None:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        data = {
            "id": f"chatcmpl-{turn_no:08d}",
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [choice],
        }
        frames.append((tag, _sse(None, data)))

    chunk({"role": "assistant", "content": ""})
    reasoning_key = "reasoning" if dialect == "openrouter" else "reasoning_content"
    for piece in _pieces(turn.thinking, turn.delta_size):
        chunk({reasoning_key: piece})
    for piece in _pieces(turn.text, turn.delta_size):
        chunk({"content": piece})
    for k, call in enumerate(turn.tool_calls):
        function = {"name": call.name, "arguments": ""}
        first = {"index": k, "id": tool_id(dialect, turn_no, k, call.id), "type": "function"}
        chunk({"tool_calls": [{**first, "function": function}]}, tag=f"tool_arg:{k}")
        for piece in _pieces(call.arguments_json(), turn.delta_size):
            args = {"index": k, "function": {"arguments": piece}}
            chunk({"tool_calls": [args]}, tag=f"tool_arg:{k}")
    finish = turn.stop_reason or ("tool_calls" if turn.tool_calls else "stop")
    chunk({}, finish, "terminal")
    if include_usage or dialect == "openrouter":
        data = {
            "id": f"chatcmpl-{turn_no:08d}",
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [],
            "usage": openai_usage(turn.usage, dialect),
        }
        frames.append(("terminal", _sse(None, data)))
    frames.append(("terminal", b"data: [DONE]\n\n"))
    return frames


def openai_completion(turn: Turn, model: str, turn_no: int, dialect: Dialect) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": turn.text or None}
    if turn.tool_calls:
        message["tool_calls"] = [
            {
                "id": tool_id(dialect, turn_no, k, call.id),
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments_json()},
            }
            for k, call in enumerate(turn.tool_calls)
        ]
    finish = turn.stop_reason or ("tool_calls" if turn.tool_calls else "stop")
    return {
        "id": f"chatcmpl-{turn_no:08d}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": openai_usage(turn.usage, dialect),
    }


# --- Ollama ------------------------------------------------------------------------------------


def _ollama_line(model: str, message: dict[str, Any], done: bool, **extra: Any) -> bytes:
    data = {
        "model": model,
        "created_at": "2026-01-01T00:00:00.000000Z",
        "message": {"role": "assistant", "content": "", **message},
        "done": done,
        **extra,
    }
    return (json.dumps(data) + "\n").encode()


def ollama_final(turn: Turn, model: str) -> dict[str, Any]:
    return {
        "done_reason": turn.stop_reason or "stop",
        "total_duration": 1_000_000,
        "load_duration": 1000,
        "prompt_eval_count": turn.usage.input_tokens,
        "prompt_eval_duration": 1000,
        "eval_count": turn.usage.output_tokens,
        "eval_duration": 1000,
    }


def ollama_frames(turn: Turn, model: str, think: bool) -> list[Frame]:
    frames: list[Frame] = []
    if think:
        for piece in _pieces(turn.thinking, turn.delta_size):
            frames.append(("content", _ollama_line(model, {"thinking": piece}, False)))
    for piece in _pieces(turn.text, turn.delta_size):
        frames.append(("content", _ollama_line(model, {"content": piece}, False)))
    for k, call in enumerate(turn.tool_calls):
        args: Any = call.args
        function = {"name": call.name, "arguments": args}
        line = _ollama_line(model, {"tool_calls": [{"function": function}]}, False)
        frames.append((f"tool_arg:{k}", line))
    frames.append(("terminal", _ollama_line(model, {}, True, **ollama_final(turn, model))))
    return frames


def ollama_response(turn: Turn, model: str, think: bool) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": turn.text}
    if think and turn.thinking:
        message["thinking"] = turn.thinking
    if turn.tool_calls:
        message["tool_calls"] = [
            {"function": {"name": c.name, "arguments": c.args}} for c in turn.tool_calls
        ]
    return {
        "model": model,
        "created_at": "2026-01-01T00:00:00.000000Z",
        "message": message,
        "done": True,
        **ollama_final(turn, model),
    }


# --- Errors and faults -------------------------------------------------------------------------

_ANTHROPIC_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}


def error_body(dialect: Dialect, status: int, message: str, param: str | None = None) -> Any:
    """The error JSON each real API sends with an HTTP error status."""
    if dialect == "anthropic":
        kind = _ANTHROPIC_ERROR_TYPES.get(status, "api_error")
        error = {"type": kind, "message": message}
        return {"type": "error", "error": error, "request_id": "req_scripted0001"}
    if dialect == "ollama":
        return {"error": message}
    kind = "invalid_request_error" if status < 500 else "server_error"
    code = "rate_limit_exceeded" if status == 429 else None
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def in_band_error(dialect: Dialect) -> bytes:
    if dialect == "anthropic":
        error = {"type": "overloaded_error", "message": "Overloaded"}
        return _sse("error", {"type": "error", "error": error})
    if dialect == "ollama":
        return b'{"error": "model runner has unexpectedly stopped"}\n'
    return _sse(None, {"error": {"message": "upstream provider error", "code": 502}})


def malformed_line(dialect: Dialect) -> bytes:
    if dialect == "anthropic":
        return b'event: content_block_delta\ndata: {"type": "content_block_delta", "ind\n\n'
    if dialect == "ollama":
        return b'{"model": "m", "message": {"role": "assist\n'
    return b'data: {"id": "chatcmpl-x", "choices": [{"delta": {"cont\n\n'


def apply_fault(frames: list[Frame], fault: Fault | None, dialect: Dialect) -> list[Frame]:
    """Frames to send for a mid-stream fault (cut and stall act on bytes, later)."""
    kind = fault.kind if fault else None
    content = [f for f in frames if f[0] != "terminal"]
    if kind == "error_event":
        return [*content, ("fault", in_band_error(dialect))]
    if kind == "malformed":
        return [*content, ("fault", malformed_line(dialect))]
    if kind == "no_terminal":
        return content
    if kind == "partial_tool":
        tags = [tag for tag, _ in frames if tag.startswith("tool_arg:")]
        if not tags:
            return content
        last = [i for i, (tag, _) in enumerate(frames) if tag == tags[-1]]
        if dialect == "ollama":
            line = frames[last[0]][1]
            return [*frames[: last[0]], ("fault", line[: len(line) // 2])]
        return frames[: last[0] + max(1, len(last) // 2)]
    return frames
