"""Start the TUI: open the runtime for a workspace, pick the session, run the app, close."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from codesm.agent.launch import LaunchOptions, open_runtime
from codesm.agent.runtime import Runtime
from codesm.errors import CodesmError
from codesm.store import SessionRecord


@dataclass(frozen=True)
class TuiOptions(LaunchOptions):
    continue_latest: bool = False
    session_id: str | None = None
    mode: str | None = None
    model: str | None = None


async def _choose_session(runtime: Runtime, options: TuiOptions) -> SessionRecord | None:
    if options.session_id:
        session = await runtime.store.sessions.get(options.session_id)
        if session is None:
            raise CodesmError(f"no session {options.session_id}; `codesm` lists them in Ctrl+B")
        return session
    if options.continue_latest:
        return await runtime.latest_session()
    if options.mode or options.model:
        return await runtime.new_session(mode=options.mode, model=options.model)
    return None


async def run_tui_async(options: TuiOptions) -> int:
    from codesm.tui.app import CodesmApp

    runtime = await open_runtime(options, interactive=True)
    try:
        session = await _choose_session(runtime, options)
        app = CodesmApp(runtime, session=session)
        result = await app.run_async()
        return result or 0
    finally:
        await runtime.aclose()


def run_tui(options: TuiOptions) -> int:
    """Run the TUI until the user quits; returns the exit status."""
    return asyncio.run(run_tui_async(options))
