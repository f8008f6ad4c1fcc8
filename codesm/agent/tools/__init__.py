"""The agent's built-in tools, the registry that lists them, and the one way to run a call."""

from __future__ import annotations

from codesm.agent.tools.base import Params, Tool, ToolContext, ToolResult, resolve_path
from codesm.agent.tools.execute import MAX_ARGUMENT_BYTES, execute_tool_call
from codesm.agent.tools.ledger import ReadLedger
from codesm.agent.tools.registry import ToolRegistry, builtin_tools, create_registry, input_schema
from codesm.agent.tools.todo_store import InMemoryTodoStore, TodoItem, TodoStore
from codesm.agent.tools.truncate import OutputLimits
from codesm.errors import ToolFailure

__all__ = [
    "MAX_ARGUMENT_BYTES",
    "InMemoryTodoStore",
    "OutputLimits",
    "Params",
    "ReadLedger",
    "TodoItem",
    "TodoStore",
    "Tool",
    "ToolContext",
    "ToolFailure",
    "ToolRegistry",
    "ToolResult",
    "builtin_tools",
    "create_registry",
    "execute_tool_call",
    "input_schema",
    "resolve_path",
]
