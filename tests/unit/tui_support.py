"""Helpers for the TUI tests: a runtime on the scripted LLM server, and waiting on the app."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from rich.console import Console
from textual.pilot import Pilot
from textual.widget import Widget

from codesm.agent.permissions.engine import Mode
from codesm.agent.runtime import Runtime
from codesm.tui.app import CodesmApp
from tests.support.scripted_llm import ScriptedLLMServer

SIZE = (110, 36)


@asynccontextmanager
async def open_runtime(
    tmp_path: Path, server: ScriptedLLMServer | None, *, permission_mode: Mode = "review"
) -> AsyncIterator[Runtime]:
    workspace = tmp_path / "ws"
    workspace.mkdir(exist_ok=True)
    env = (
        {"ANTHROPIC_API_KEY": "sk-ant-test", "ANTHROPIC_BASE_URL": server.base_url}
        if server is not None
        else {}
    )
    runtime = await Runtime.open(
        workspace, db_path=tmp_path / "codesm.db", env=env, permission_mode=permission_mode
    )
    try:
        yield runtime
    finally:
        await runtime.aclose()


async def wait_for(pilot: Pilot[int], check: Callable[[], object], *, within: float = 10.0) -> None:
    """Let the app run until `check()` is truthy (fails the test after `within` seconds)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"not true within {within} s: {check}")
        await pilot.pause(0.05)


def screen_text(app: CodesmApp) -> str:
    """Everything the screen shows (modals over their background), as plain text: what the
    snapshot tests compare, since colours and exact SVG bytes change with the theme."""
    width, height = app.size
    console = Console(
        width=width, height=height, file=io.StringIO(), record=True, force_terminal=True
    )
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return "\n".join(line.rstrip() for line in console.export_text().splitlines())


def texts(widgets: list[Widget]) -> list[str]:
    return [str(getattr(w, "visual", "")) for w in widgets]
