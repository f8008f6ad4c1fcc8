"""`bash`: run a shell command in the workspace, with a timeout, streamed and capped output."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from pydantic import Field

from codesm.agent.tools.base import Params, Tool, ToolContext, ToolResult, resolve_path
from codesm.agent.tools.shell_process import OutputCapture, ShellRun, run_shell
from codesm.agent.tools.truncate import default_spool_dir
from codesm.errors import ToolFailure

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_MS = 120_000
MAX_TIMEOUT_MS = 600_000


class NotADirectory(ToolFailure):
    """`cwd` names something that is not a directory."""


class BashParams(Params):
    command: str = Field(min_length=1, description="The command to run with /bin/bash -c.")
    timeout_ms: int = Field(
        default=DEFAULT_TIMEOUT_MS,
        ge=1,
        le=MAX_TIMEOUT_MS,
        description="Stop the command after this many milliseconds (default 120000, max 600000).",
    )
    cwd: str | None = Field(
        default=None,
        description="Directory to run in, relative to the workspace root (default: the root).",
    )
    description: str | None = Field(
        default=None,
        max_length=200,
        description="A few words saying what the command does, shown to the user.",
    )


def _footer(run: ShellRun, timeout_ms: int) -> str:
    took = f"{run.duration_s:.2f} s"
    if run.timed_out:
        return (
            f"[timed out after {timeout_ms / 1000:g} s: the command and every process it started "
            f"were stopped; exit code {run.exit_code}]"
        )
    if run.cancelled:
        return f"[cancelled by the user after {took}: every process it started was stopped]"
    return f"[exit code {run.exit_code}, {took}]"


class BashTool(Tool[BashParams]):
    """Runs commands through `run_shell`; the full output of a long run is spooled under
    `spool_dir` (the cache dir by default)."""

    name = "bash"
    params = BashParams
    read_only = False

    def __init__(self, *, spool_dir: Path | None = None) -> None:
        self._spool_dir = spool_dir

    async def run(self, params: BashParams, ctx: ToolContext) -> ToolResult:
        cwd = ctx.root
        if params.cwd is not None:
            cwd = resolve_path(ctx, params.cwd, must_exist=True)
            if not cwd.is_dir():
                raise NotADirectory(f"cwd {params.cwd!r} is not a directory.")
        notes: list[str] = []
        snapshot: str | None = None
        if ctx.before_shell is not None:
            try:
                snapshot = await ctx.before_shell()
            except Exception as exc:
                log.exception("workspace snapshot before bash failed (call %s)", ctx.call_id)
                notes.append(
                    f"(The workspace could not be snapshotted before this command ({exc}); "
                    "its file changes cannot be undone.)"
                )
        spool_dir = self._spool_dir if self._spool_dir is not None else default_spool_dir()
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{ctx.session_id}-{ctx.call_id}")[:80]
        capture = OutputCapture(spool_dir / f"{name}-bash.log")
        run = await run_shell(
            params.command,
            cwd=cwd,
            timeout_s=params.timeout_ms / 1000,
            cancel=ctx.cancel,
            emit=ctx.emit_output,
            capture=capture,
        )
        body = run.output if run.output else "(no output)"
        if run.invalid_utf8:
            notes.append("(The output contained invalid UTF-8; it was replaced with \ufffd.)")
        text = "\n".join([body.rstrip("\n"), *notes, _footer(run, params.timeout_ms)])
        meta: dict[str, object] = {
            "exit_code": run.exit_code,
            "duration_s": round(run.duration_s, 3),
            "timed_out": run.timed_out,
            "cancelled": run.cancelled,
            "output_bytes": run.total_bytes,
        }
        if run.invalid_utf8:
            meta["invalid_utf8"] = True
        if snapshot is not None:
            meta["snapshot"] = snapshot
        if run.spool_path is not None:
            meta["output_path"] = str(run.spool_path)
        if run.timed_out:
            meta["error"] = "TimedOut"
        elif run.cancelled:
            meta["error"] = "Cancelled"
        return ToolResult(text, is_error=run.timed_out or run.cancelled, metadata=meta)
