"""A workspace with a real tool context for the tool tests: files, a sink that applies at once."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codesm.agent.changes.immediate import ApplyImmediatelySink
from codesm.agent.tools import (
    InMemoryTodoStore,
    OutputLimits,
    ReadLedger,
    ToolContext,
    ToolRegistry,
    ToolResult,
    create_registry,
    execute_tool_call,
)

_calls = itertools.count(1)


@dataclass
class Workspace:
    root: Path
    spool: Path
    sink: ApplyImmediatelySink = field(default_factory=ApplyImmediatelySink)
    ledger: ReadLedger = field(default_factory=ReadLedger)
    todos: InMemoryTodoStore = field(default_factory=InMemoryTodoStore)
    registry: ToolRegistry = field(default_factory=create_registry)
    limits: OutputLimits = field(default_factory=OutputLimits)
    session_id: str = "s1"

    def context(self) -> ToolContext:
        return ToolContext(
            root=self.root,
            session_id=self.session_id,
            call_id=f"call{next(_calls)}",
            changes=self.sink,
            read_ledger=self.ledger,
            todos=self.todos,
        )

    def file(self, rel: str, data: str | bytes) -> Path:
        """Create a file (str is written byte for byte as UTF-8, no newline translation)."""
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return path

    def bytes_of(self, rel: str) -> bytes:
        return (self.root / rel).read_bytes()

    async def call(self, tool: str, args: dict[str, Any] | str) -> ToolResult:
        return await execute_tool_call(
            self.registry, tool, args, self.context(), limits=self.limits, spool_dir=self.spool
        )

    async def read(self, rel: str) -> ToolResult:
        result = await self.call("read", {"path": rel})
        assert not result.is_error, result.content
        return result


def make_workspace(tmp_path: Path) -> Workspace:
    root = (tmp_path / "ws").resolve()
    root.mkdir()
    return Workspace(root=root, spool=tmp_path / "spool")
