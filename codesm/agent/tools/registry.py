"""The tools a session offers, listed explicitly, and the JSON schemas the model sees."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from typing import Any

from pydantic import BaseModel

from codesm.agent.messages import ToolSpec
from codesm.agent.tools.base import Tool
from codesm.agent.tools.bash import BashTool
from codesm.agent.tools.batch import BatchTool
from codesm.agent.tools.edit import EditTool
from codesm.agent.tools.glob import GlobTool
from codesm.agent.tools.grep import GrepTool
from codesm.agent.tools.ls import LsTool
from codesm.agent.tools.multiedit import MultiEditTool
from codesm.agent.tools.patch import PatchTool
from codesm.agent.tools.read import ReadTool
from codesm.agent.tools.todo import TodoReadTool, TodoWriteTool
from codesm.agent.tools.webfetch import WebFetchTool
from codesm.agent.tools.websearch import WebSearchTool
from codesm.agent.tools.write import WriteTool

AnyTool = Tool[Any]


def builtin_tools() -> list[AnyTool]:
    """Every built-in tool, in the order the model is shown them."""
    return [
        ReadTool(),
        WriteTool(),
        EditTool(),
        MultiEditTool(),
        PatchTool(),
        GlobTool(),
        GrepTool(),
        LsTool(),
        BashTool(),
        WebFetchTool(),
        WebSearchTool(),
        TodoWriteTool(),
        TodoReadTool(),
        BatchTool(),
    ]


def _inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            target = dict(defs[ref.removeprefix("#/$defs/")])
            extra = {k: v for k, v in node.items() if k != "$ref"}
            return _inline_refs({**target, **extra}, defs)
        return {k: _inline_refs(v, defs) for k, v in node.items() if k not in ("$defs", "title")}
    if isinstance(node, list):
        return [_inline_refs(v, defs) for v in node]
    return node


def input_schema(params: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema of a parameter model, self-contained (no `$ref`) and without titles,
    which every provider accepts (Gemini rejects `$ref`)."""
    schema = params.model_json_schema(by_alias=True)
    result = _inline_refs(schema, schema.get("$defs", {}))
    assert isinstance(result, dict)
    return result


class ToolRegistry:
    """An ordered set of tools looked up by name."""

    def __init__(self, tools: Iterable[AnyTool]) -> None:
        self._tools: dict[str, AnyTool] = {}
        for tool in tools:
            if tool.name in self._tools:
                raise ValueError(f"duplicate tool name {tool.name!r}")
            self._tools[tool.name] = tool
        self._specs: list[ToolSpec] | None = None

    def get(self, name: str) -> AnyTool | None:
        return self._tools.get(name)

    def names(self) -> list[str]:
        return list(self._tools)

    def __iter__(self) -> Iterator[AnyTool]:
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)

    def specs(self) -> list[ToolSpec]:
        """What the model is told about each tool. Built once per tool set: the loop asks for
        the specs on every model step (`LiveToolRegistry` rebuilds them when its set changes)."""
        if self._specs is None:
            self._specs = [
                ToolSpec(
                    name=t.name,
                    description=t.description,
                    input_schema=t.json_schema or input_schema(t.params),
                )
                for t in self._tools.values()
            ]
        return list(self._specs)


def create_registry(
    *, extra: Iterable[AnyTool] = (), disabled: Collection[str] = ()
) -> ToolRegistry:
    """The built-in tools plus `extra` ones, minus those named in `disabled`
    (`codesm.tools.disable`)."""
    tools = [*builtin_tools(), *extra]
    return ToolRegistry(t for t in tools if t.name not in disabled)
