"""A session's tools when some of them come and go while it is open: MCP servers approved,
restarted, logged in or stopped after the agent was made.

The model must see one tool set per step, so the set changes only when `specs()` is asked for,
which is when a request is built: a server that comes up mid-step is offered from the next step.
A tool offered before and gone since still resolves by name, so a call the model already made
reaches the tool and fails with its own typed error (`McpUnavailable`) instead of "unknown tool".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence

from codesm.agent.messages import ToolSpec
from codesm.agent.tools.registry import AnyTool, ToolRegistry

__all__ = ["LiveToolRegistry", "ToolSource", "prompt_per_tool_set"]

log = logging.getLogger(__name__)

ToolSource = Callable[[], Sequence[AnyTool]]
"""The changing tools as they are now. It returns the same sequence object until something
changed, so a change is seen by identity and nothing is rebuilt on the steps in between."""


class LiveToolRegistry(ToolRegistry):
    """`before`, then the tools of `source` that `offered` accepts, then `after`."""

    def __init__(
        self,
        before: Iterable[AnyTool],
        source: ToolSource,
        after: Iterable[AnyTool] = (),
        *,
        offered: Callable[[str], bool] = lambda name: True,
    ) -> None:
        self._before = list(before)
        self._after = list(after)
        super().__init__([*self._before, *self._after])  # refuses duplicate fixed names
        self._source = source
        self._offered = offered
        self._seen: Sequence[AnyTool] | None = None
        self._retired: dict[str, AnyTool] = {}
        self.generation = 0
        """Bumped each time the tool set changes (the system prompt is rebuilt only then)."""
        self.refresh()

    def refresh(self) -> bool:
        """Take the source's current tools if they changed; True when the set was rebuilt."""
        current = self._source()
        if current is self._seen:
            return False
        self._seen = current
        tools: dict[str, AnyTool] = {tool.name: tool for tool in self._before}
        for tool in current:
            if not self._offered(tool.name):
                continue
            if tool.name in tools:
                log.warning("tool %s is listed twice; the first one is kept", tool.name)
                continue
            tools[tool.name] = tool
        tools.update((tool.name, tool) for tool in self._after)
        for name, gone in self._tools.items():
            if name not in tools:
                self._retired[name] = gone
        for name in tools:
            self._retired.pop(name, None)
        self._tools = tools
        self._specs = None
        self.generation += 1
        return True

    def specs(self) -> list[ToolSpec]:
        """The specs of the tool set as it is now: the one place a change takes effect."""
        self.refresh()
        return super().specs()

    def get(self, name: str) -> AnyTool | None:
        return self._tools.get(name) or self._retired.get(name)

    def narrowed(
        self, keep: Callable[[str], bool], *, after: Iterable[AnyTool] = ()
    ) -> LiveToolRegistry:
        """The tools `keep` accepts, following the same source, plus `after`: a subagent's view
        of its parent's tools, so a server that comes up while it runs reaches it too (from its
        next step), and only when its type's allowlist takes that tool."""
        offered = self._offered
        return LiveToolRegistry(
            [tool for tool in self._before if keep(tool.name)],
            self._source,
            [*(tool for tool in self._after if keep(tool.name)), *after],
            offered=lambda name: offered(name) and keep(name),
        )


def prompt_per_tool_set(
    tools: ToolRegistry, build: Callable[[Sequence[ToolSpec]], str]
) -> Callable[[], str]:
    """A system prompt built once per tool set, so prompt caching keeps working across steps:
    for a `LiveToolRegistry` it is rebuilt only when its tools change. Ask it before the step's
    specs, so the prompt and the request's tools agree."""
    if not isinstance(tools, LiveToolRegistry):
        text = build(tools.specs())
        return lambda: text
    live = tools
    built: dict[int, str] = {}

    def get() -> str:
        specs = live.specs()
        if live.generation not in built:
            built.clear()
            built[live.generation] = build(specs)
        return built[live.generation]

    return get
