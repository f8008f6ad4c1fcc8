"""Run one tool call: look the tool up, validate its arguments, run it, cap its output.

Whatever goes wrong, `execute_tool_call` returns a `ToolResult` (only cancellation propagates):
the model reads what was wrong and can retry; the turn loop never sees a tool's exception.
"""

from __future__ import annotations

import difflib
import json
import logging
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from codesm.agent.tools.base import ToolContext, ToolResult
from codesm.agent.tools.registry import ToolRegistry
from codesm.agent.tools.truncate import DEFAULT_LIMITS, OutputLimits, sanitize_text, truncate_output
from codesm.errors import ToolFailure

__all__ = ["MAX_ARGUMENT_BYTES", "execute_tool_call", "format_validation_error"]

log = logging.getLogger(__name__)

MAX_ARGUMENT_BYTES = 1024 * 1024
_MAX_ERRORS_SHOWN = 10


def _error(text: str, error: str, **meta: Any) -> ToolResult:
    return ToolResult(text, is_error=True, metadata={"error": error, **meta})


def format_validation_error(tool: str, exc: ValidationError) -> str:
    """A readable list of what is wrong with each argument, naming the field."""
    lines = [f"Invalid arguments for tool {tool}:"]
    errors = exc.errors(include_url=False, include_input=False)
    for err in errors[:_MAX_ERRORS_SHOWN]:
        field = ".".join(str(p) for p in err["loc"]) or "(arguments)"
        lines.append(f"- {field}: {err['msg']}")
    if len(errors) > _MAX_ERRORS_SHOWN:
        lines.append(f"- ... and {len(errors) - _MAX_ERRORS_SHOWN} more")
    return "\n".join(lines)


def _parse_arguments(raw: dict[str, Any] | str) -> dict[str, Any] | ToolResult:
    if isinstance(raw, str):
        if (
            len(raw) > MAX_ARGUMENT_BYTES
            or len(raw.encode("utf-8", "replace")) > MAX_ARGUMENT_BYTES
        ):
            return _error(
                f"The arguments are larger than {MAX_ARGUMENT_BYTES:,} bytes; split the work "
                "into smaller calls.",
                "ArgumentsTooLarge",
            )
        if not raw.strip():
            return {}
        try:
            parsed = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            return _error(
                f"The arguments are not valid JSON ({exc}). Send a JSON object.",
                "MalformedArguments",
            )
    else:
        parsed = raw
        try:
            size = len(json.dumps(raw, ensure_ascii=False).encode("utf-8", "replace"))
        except (TypeError, ValueError, RecursionError) as exc:
            return _error(f"The arguments cannot be encoded as JSON: {exc}", "MalformedArguments")
        if size > MAX_ARGUMENT_BYTES:
            return _error(
                f"The arguments are larger than {MAX_ARGUMENT_BYTES:,} bytes; split the work "
                "into smaller calls.",
                "ArgumentsTooLarge",
            )
    if not isinstance(parsed, dict):
        return _error(
            f"The arguments must be a JSON object, not {type(parsed).__name__}.",
            "MalformedArguments",
        )
    if _has_lone_surrogate(parsed):
        return _error(
            "The arguments contain invalid Unicode (a lone surrogate such as \\ud800); "
            "send valid UTF-8 text.",
            "MalformedArguments",
        )
    return parsed


def _has_lone_surrogate(value: object) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False


async def execute_tool_call(
    registry: ToolRegistry,
    name: str,
    raw_arguments: dict[str, Any] | str,
    ctx: ToolContext,
    *,
    limits: OutputLimits = DEFAULT_LIMITS,
    spool_dir: Path | None = None,
) -> ToolResult:
    """Execute the tool call `name(raw_arguments)` and return what the model reads.

    Unknown tools, malformed or oversized arguments, validation errors, `ToolFailure`s and bugs
    all become error results (`metadata["error"]` names the kind); output is capped by `limits`
    with the full text spooled under `spool_dir` (the cache dir by default).
    """
    tool = registry.get(name)
    if tool is None:
        close = difflib.get_close_matches(name, registry.names(), n=1)
        hint = f" Did you mean {close[0]}?" if close else ""
        return _error(
            f"Unknown tool {name!r}.{hint} Available tools: {', '.join(registry.names())}.",
            "UnknownTool",
        )
    parsed = _parse_arguments(raw_arguments)
    if isinstance(parsed, ToolResult):
        return parsed
    try:
        params = tool.params.model_validate(parsed)
    except ValidationError as exc:
        return _error(format_validation_error(name, exc), "InvalidArguments")
    if ctx.cancel.is_set():
        return _error(f"The {name} call was cancelled before it ran.", "Cancelled")
    try:
        result = await tool.run(params, ctx)
    except ToolFailure as exc:
        result = _error(str(exc), type(exc).__name__)
    except Exception as exc:
        log.exception("tool %s failed (call %s)", name, ctx.call_id)
        result = _error(
            f"Internal error in tool {name}: {type(exc).__name__}: {exc}", "InternalError"
        )
    return _finish(result, name, ctx, limits, spool_dir)


def _finish(
    result: ToolResult, name: str, ctx: ToolContext, limits: OutputLimits, spool_dir: Path | None
) -> ToolResult:
    text, invalid = sanitize_text(result.content)
    meta = dict(result.metadata)
    if invalid:
        meta["invalid_utf8"] = True
        text += "\n(The output contained invalid UTF-8; it was replaced with \ufffd.)"
    cut = truncate_output(
        text,
        limits=limits,
        spool_dir=spool_dir,
        name=f"{ctx.session_id}-{ctx.call_id}-{name}",
    )
    if cut.truncated:
        meta.update(
            truncated=True,
            spool_path=str(cut.spool_path) if cut.spool_path else None,
            omitted_bytes=cut.omitted_bytes,
        )
    if cut.text is result.content and meta == result.metadata:
        return result
    return ToolResult(cut.text, is_error=result.is_error, metadata=meta)
