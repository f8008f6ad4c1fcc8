"""`batch`: run up to 10 independent tool calls at once and return each result, labelled.

Each inner call goes through `ctx.run_tool`, which the tool runner provides: the same permission
check, approval and execution path as a top-level call. A batch cannot contain a batch, and the
inner calls' contexts have no `run_tool`, so nesting is refused twice over.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from pydantic import Field

from codesm.agent.tools.base import Params, Tool, ToolContext, ToolResult
from codesm.agent.tools.truncate import OutputLimits, truncate_output
from codesm.errors import ToolFailure

log = logging.getLogger(__name__)

MAX_BATCH_CALLS = 10
_TOTAL_BYTES = 48 * 1024
_TOTAL_LINES = 1900


class BatchCall(Params):
    tool: str = Field(min_length=1, description="Name of the tool to call.")
    arguments: dict[str, Any] = Field(
        default_factory=dict, description="The tool's arguments, as for a direct call."
    )


class BatchParams(Params):
    calls: list[BatchCall] = Field(
        min_length=1,
        max_length=MAX_BATCH_CALLS,
        description=f"The calls to run in parallel (1 to {MAX_BATCH_CALLS}).",
    )


class BatchUnavailable(ToolFailure):
    """`batch` was called where it cannot dispatch calls (inside another batch)."""


def _label(index: int, call: BatchCall) -> str:
    args = json.dumps(call.arguments, ensure_ascii=False)
    if len(args) > 120:
        args = args[:117] + "..."
    return f"{index}. {call.tool} {args}"


class BatchTool(Tool[BatchParams]):
    name = "batch"
    params = BatchParams
    read_only = False
    dispatches_calls = True

    async def run(self, params: BatchParams, ctx: ToolContext) -> ToolResult:
        run_tool = ctx.run_tool
        if run_tool is None:
            raise BatchUnavailable("batch cannot be used here (a batch cannot contain a batch).")

        async def one(index: int, call: BatchCall) -> ToolResult:
            if call.tool == self.name:
                return ToolResult(
                    "Refused: a batch cannot contain a batch. Put the calls in this batch.",
                    is_error=True,
                    metadata={"error": "NestedBatch"},
                )
            try:
                return await run_tool(f"{ctx.call_id}.{index}", call.tool, call.arguments)
            except Exception as exc:
                log.exception("batch call %s.%s failed", ctx.call_id, index)
                return ToolResult(
                    f"Internal error in {call.tool}: {type(exc).__name__}: {exc}",
                    is_error=True,
                    metadata={"error": "InternalError"},
                )

        results = await asyncio.gather(
            *(one(i, call) for i, call in enumerate(params.calls, start=1))
        )
        count = len(results)
        limits = OutputLimits(
            max_lines=max(20, _TOTAL_LINES // count), max_bytes=max(2048, _TOTAL_BYTES // count)
        )
        failed = sum(r.is_error for r in results)
        sections = [f"Ran {count} calls in parallel: {count - failed} ok, {failed} failed."]
        for index, (call, result) in enumerate(zip(params.calls, results, strict=True), 1):
            cut = truncate_output(
                result.content, limits=limits, name=f"{ctx.session_id}-{ctx.call_id}-{index}"
            )
            status = "error" if result.is_error else "ok"
            sections.append(f"## {_label(index, call)} -> {status}\n{cut.text.rstrip()}")
        meta: dict[str, object] = {
            "calls": [
                {"tool": c.tool, "is_error": r.is_error, "error": r.metadata.get("error")}
                for c, r in zip(params.calls, results, strict=True)
            ]
        }
        return ToolResult("\n\n".join(sections), is_error=failed == count, metadata=meta)
