"""The shape every tool shares: the `Tool` class, its `ToolContext`, and its `ToolResult`.

A tool is one module plus a description file for the model (`<name>.txt` next to the module).
Its parameters are a pydantic model; `execute_tool_call` validates the arguments against it and
truncates the output, so a tool's `run` receives valid parameters and may return long text.
Mistakes the model can correct are raised as `ToolFailure` (or a subclass) with a message written
for the model; anything else is a bug and is reported as an internal error.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from codesm.agent.changes.model import ChangeSink
from codesm.agent.tools.ledger import ReadLedger
from codesm.agent.tools.todo_store import TodoStore
from codesm.errors import ToolFailure
from codesm.workspace.paths import relative_to_root, resolve_in_workspace

__all__ = [
    "Params",
    "RunTool",
    "Tool",
    "ToolContext",
    "ToolFailure",
    "ToolResult",
    "resolve_path",
]


class Params(BaseModel):
    """Base of every tool's parameter model: unknown arguments are an error the model sees."""

    model_config = ConfigDict(extra="forbid", validate_by_name=True, validate_by_alias=True)


P = TypeVar("P", bound=BaseModel)


@dataclass(frozen=True)
class ToolResult:
    """What the model reads back from one tool call (`metadata` is for UIs and logs only)."""

    content: str
    is_error: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)


async def _discard_output(_delta: str) -> None:
    return None


RunTool = Callable[[str, str, dict[str, Any]], Awaitable[ToolResult]]
"""`run_tool(call_id, tool_name, arguments)`: run one inner call of `batch` through the same
permission, approval and execution path as a top-level call."""


@dataclass
class ToolContext:
    """Everything a tool may touch, injected per call.

    `root` is the workspace root fixed when the session started; it never comes from model
    arguments. `emit_output` streams partial output to the UIs; `cancel` is set when the user
    cancels the turn.
    """

    root: Path
    session_id: str
    call_id: str
    changes: ChangeSink
    read_ledger: ReadLedger
    todos: TodoStore
    emit_output: Callable[[str], Awaitable[None]] = _discard_output
    cancel: asyncio.Event = field(default_factory=asyncio.Event)
    before_shell: Callable[[], Awaitable[str | None]] | None = None
    """Called by `bash` before it runs a command, to snapshot the workspace for undo; what it
    returns (a snapshot id) goes into the result's metadata as `snapshot`."""
    run_tool: RunTool | None = None
    """Set by the runner for tools that dispatch other calls (`batch`); None inside a batch."""
    turn_id: str = ""
    """The turn this call belongs to (subagent tools publish their events in it)."""


def resolve_path(
    ctx: ToolContext, user_path: str, *, must_exist: bool = False, allow_root: bool = True
) -> Path:
    """Confine a path argument to the workspace through the one confinement function.

    Raises the typed `WorkspacePathError`s (`PathOutsideWorkspace`, `PathNotFound`, ...), which are
    `ToolFailure`s: the model reads why the path was refused."""
    try:
        return resolve_in_workspace(
            ctx.root, user_path, must_exist=must_exist, allow_root=allow_root
        )
    except ToolFailure:
        raise
    except OSError as exc:
        raise ToolFailure(f"Cannot use path {user_path!r}: {exc.strerror or exc}") from exc


def relative_display(ctx: ToolContext, path: Path) -> str:
    """The workspace-relative form of a confined path, with `/` separators (`.` for the root)."""
    return relative_to_root(ctx.root, path)


@cache
def _load_description(module: str, name: str) -> str:
    file = sys.modules[module].__file__
    if file is None:  # pragma: no cover - namespace modules have no file
        raise RuntimeError(f"cannot locate the description of tool {name}")
    return Path(file).with_name(f"{name}.txt").read_text(encoding="utf-8").strip()


class Tool(Generic[P]):
    """One tool: a name, a parameter model, a description file, and an async `run`.

    `read_only` tools neither modify the workspace nor run anything: they may run concurrently
    and need no approval.
    """

    name: ClassVar[str]
    params: type[P]
    read_only: ClassVar[bool] = False
    dispatches_calls: ClassVar[bool] = False
    """True for `batch`: its inner calls are each decided by the permission engine, so the
    runner lets only a deny rule stop the call itself."""
    json_schema: dict[str, Any] | None = None
    """Set by tools whose parameters come as a JSON schema (MCP tools): the model sees it as is,
    and `params` is a root model that validates against it."""

    @property
    def description(self) -> str:
        """The text the model reads, from `<name>.txt` beside the tool's module."""
        return _load_description(type(self).__module__, self.name)

    def permission_paths(self, arguments: dict[str, Any]) -> tuple[str, ...]:
        """The paths the permission engine checks for a call with these raw arguments."""
        return tuple(
            str(arguments[k]) for k in ("path", "file_path") if isinstance(arguments.get(k), str)
        )

    async def run(self, params: P, ctx: ToolContext) -> ToolResult:
        raise NotImplementedError
