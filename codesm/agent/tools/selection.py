"""Which tools a session offers: `codesm.tools.disable` and `codesm.tools.enable` (globs)."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable

from codesm.agent.tools.live_registry import LiveToolRegistry, ToolSource
from codesm.agent.tools.registry import AnyTool, ToolRegistry, builtin_tools
from codesm.config.settings import Settings


def tool_state(name: str, settings: Settings) -> tuple[bool, str]:
    """Whether `name` is offered and why: a `codesm.tools.disable` glob turns it off; when
    `codesm.tools.enable` is set, only the tools matching one of its globs stay on."""
    for pattern in settings.tools_disable:
        if fnmatch.fnmatchcase(name, pattern):
            return False, f"disabled by codesm.tools.disable ({pattern})"
    if settings.tools_enable and not any(
        fnmatch.fnmatchcase(name, pattern) for pattern in settings.tools_enable
    ):
        return False, "not matched by codesm.tools.enable"
    return True, "enabled"


def session_registry(settings: Settings, *, extra: Iterable[AnyTool] = ()) -> ToolRegistry:
    """The built-in tools plus `extra` (toolbox, MCP), minus the ones settings turn off."""
    return ToolRegistry(
        tool for tool in [*builtin_tools(), *extra] if tool_state(tool.name, settings)[0]
    )


def live_session_registry(
    settings: Settings,
    *,
    before: Iterable[AnyTool],
    live: ToolSource,
    after: Iterable[AnyTool] = (),
) -> LiveToolRegistry:
    """Like `session_registry`, for a session that stays open while `live` tools (MCP servers)
    come and go: built-ins and `before`, then `live`, then `after`, minus what settings turn off."""
    offered = [tool for tool in [*builtin_tools(), *before] if tool_state(tool.name, settings)[0]]
    return LiveToolRegistry(
        offered,
        live,
        [tool for tool in after if tool_state(tool.name, settings)[0]],
        offered=lambda name: tool_state(name, settings)[0],
    )
