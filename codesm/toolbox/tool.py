"""A toolbox executable as a codesm tool: runs with `TOOLBOX_ACTION=execute`, arguments on stdin.

Arguments are checked against the executable's own JSON schema inside a pydantic root model, so
the central `execute_tool_call` validates, reports and truncates toolbox calls like built-ins.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from typing import Any, ClassVar

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from pydantic import RootModel, model_validator

from codesm.agent.tools.base import Tool, ToolContext, ToolFailure, ToolResult
from codesm.config.settings import Settings
from codesm.toolbox.discovery import ToolboxSpec, discover, toolbox_dir

log = logging.getLogger(__name__)

EXECUTE_TIMEOUT_S = 600.0
_MAX_ERRORS = 5


class ToolboxArguments(RootModel[dict[str, Any]]):
    """Any JSON object; subclasses check it against the tool's schema."""

    validator: ClassVar[Draft202012Validator | None] = None

    @model_validator(mode="before")
    @classmethod
    def _check_schema(cls, data: Any) -> Any:
        if cls.validator is not None and isinstance(data, dict):
            errors = sorted(cls.validator.iter_errors(data), key=lambda e: list(e.path))
            if errors:
                raise ValueError(
                    "; ".join(
                        f"{'.'.join(str(p) for p in e.path) or '(arguments)'}: {e.message}"
                        for e in errors[:_MAX_ERRORS]
                    )
                )
        return data


def _arguments_model(spec: ToolboxSpec) -> type[ToolboxArguments]:
    try:
        Draft202012Validator.check_schema(spec.input_schema)
        validator: Draft202012Validator | None = Draft202012Validator(spec.input_schema)
    except SchemaError:
        validator = None
    return type(f"Args_{spec.name}", (ToolboxArguments,), {"validator": validator})


class ToolboxTool(Tool[ToolboxArguments]):
    """One toolbox executable. Not read-only: it may do anything, so the permission engine
    decides each call (kind `other`: asks unless a rule allows `tb__...`)."""

    name: str  # type: ignore[misc]

    def __init__(self, spec: ToolboxSpec, *, timeout_s: float = EXECUTE_TIMEOUT_S) -> None:
        self.spec = spec
        self.name = spec.name
        self.json_schema = spec.input_schema
        self.params = _arguments_model(spec)
        self.timeout_s = timeout_s

    @property
    def description(self) -> str:
        return f"[toolbox: {self.spec.executable.name}] {self.spec.description}"

    def permission_paths(self, arguments: dict[str, Any]) -> tuple[str, ...]:
        return ()

    async def run(self, params: ToolboxArguments, ctx: ToolContext) -> ToolResult:
        env = {**os.environ, "TOOLBOX_ACTION": "execute", "TOOLBOX_WORKSPACE": str(ctx.root)}
        try:
            process = await asyncio.create_subprocess_exec(
                str(self.spec.executable),
                cwd=ctx.root,
                env=env,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            raise ToolFailure(f"Cannot run {self.spec.executable}: {exc.strerror or exc}") from exc
        payload = json.dumps(params.root, ensure_ascii=False).encode("utf-8")
        communicate = asyncio.ensure_future(process.communicate(payload))
        cancelled = asyncio.ensure_future(ctx.cancel.wait())
        try:
            done, _ = await asyncio.wait(
                {communicate, cancelled},
                timeout=self.timeout_s,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            cancelled.cancel()
        if communicate not in done:
            await _kill(process, communicate)
            why = "was cancelled" if ctx.cancel.is_set() else f"timed out after {self.timeout_s:g}s"
            raise ToolFailure(f"{self.name} {why}.")
        output, _ = communicate.result()
        text = output.decode("utf-8", errors="replace")
        if process.returncode != 0:
            return ToolResult(
                f"{text.rstrip()}\n(exit status {process.returncode})".lstrip(),
                is_error=True,
                metadata={"exit_code": process.returncode},
            )
        return ToolResult(text or "(no output)", metadata={"exit_code": 0})


async def _kill(process: asyncio.subprocess.Process, pending: asyncio.Future[Any]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, 9)
    with contextlib.suppress(Exception):
        await asyncio.wait_for(pending, 5)


def toolbox_tools(settings: Settings) -> list[ToolboxTool]:
    """The tools of the toolbox directory; executables that fail to describe themselves are
    logged and left out."""
    found = discover(toolbox_dir(settings))
    for problem in found.problems:
        log.warning("toolbox: skipping %s: %s", problem.executable, problem.reason)
    return [ToolboxTool(spec) for spec in found.specs]
