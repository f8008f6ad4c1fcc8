"""Telling the user that codesm needs them: a terminal bell and an optional desktop notification
when a long turn ends or an approval waits.

`codesm.notifications.enabled` (or `--notifications/--no-notifications`) rings the bell;
`codesm.notifications.system.enabled` also sends a desktop notification (`notify-send` on Linux,
`osascript` on macOS) when one of those is installed. Nothing here ever fails a run.

`TurnAlerts` is the one policy for when to do it; the runtime feeds it every session event, so the
TUI, the browser UI and headless runs behave alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from codesm.agent.events import ApprovalRequested, Event, TurnFinished, TurnStarted
from codesm.config.settings import Settings

LONG_TURN_S = 15.0
"""A turn shorter than this ends while the user is still watching: no notification."""


def _desktop_command(title: str, body: str) -> list[str] | None:
    if sys.platform == "darwin" and shutil.which("osascript"):
        script = f"display notification {_applescript(body)} with title {_applescript(title)}"
        return ["osascript", "-e", script]
    if shutil.which("notify-send"):
        return ["notify-send", "--app-name=codesm", title, body]
    return None


def _applescript(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _run_quietly(command: Sequence[str]) -> None:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run(command, capture_output=True, timeout=3, check=False)


@dataclass(frozen=True)
class Notifier:
    bell: bool = False
    system: bool = False
    stream: TextIO = field(default_factory=lambda: sys.stderr)
    run: Callable[[Sequence[str]], None] = _run_quietly
    long_turn_s: float = LONG_TURN_S

    @classmethod
    def from_settings(cls, settings: Settings, flag: bool | None = None) -> Notifier:
        """The flag (`--notifications/--no-notifications`) wins over the setting."""
        bell = settings.notifications_enabled if flag is None else flag
        return cls(
            bell=bell,
            system=bell and settings.notifications_system_enabled,
            long_turn_s=LONG_TURN_S,
        )

    def turn_finished(self, elapsed_s: float, status: str = "completed") -> bool:
        """Notify when a long turn ended; returns whether it did."""
        if elapsed_s < self.long_turn_s:
            return False
        return self._notify("codesm", f"The turn {status} after {elapsed_s:.0f}s.")

    def approval_waiting(self, title: str) -> bool:
        return self._notify("codesm needs your approval", title)

    def _notify(self, title: str, body: str) -> bool:
        if not self.bell:
            return False
        with contextlib.suppress(OSError, ValueError):
            self.stream.write("\a")
            self.stream.flush()
        if self.system:
            command = _desktop_command(title, body)
            if command is not None:
                self.run(command)
        return True


_ENDINGS = {"error": "failed", "cancelled": "was cancelled", "incomplete": "ended incomplete"}


@dataclass
class TurnAlerts:
    """When codesm calls the user back: in a top-level session, a turn that ran at least
    `notifier.long_turn_s` has ended, or an approval waits. Short turns end while the user is
    watching; subagents' turns end inside the parent's, and their approvals are mirrored into it.

    `in_thread` runs the notifier off the event loop (a desktop notification starts a process);
    `drain` waits for those still running."""

    notifier: Notifier
    clock: Callable[[], float] = time.monotonic
    in_thread: bool = False
    _started: dict[tuple[str, str], float] = field(default_factory=dict)
    _pending: set[asyncio.Future[bool]] = field(default_factory=set)

    def observe(self, session_id: str, event: Event, *, top_level: bool = True) -> None:
        if not self.notifier.bell:
            return
        match event:
            case TurnStarted() if top_level:
                self._started[(session_id, event.turn_id)] = self.clock()
            case TurnFinished():
                started = self._started.pop((session_id, event.turn_id), None)
                if started is not None:
                    elapsed = self.clock() - started
                    status = _ENDINGS.get(event.status, event.status)
                    self._dispatch(lambda: self.notifier.turn_finished(elapsed, status))
            case ApprovalRequested() if top_level:
                title = event.title
                self._dispatch(lambda: self.notifier.approval_waiting(title))
            case _:  # every other event leaves the user alone
                pass

    def _dispatch(self, call: Callable[[], bool]) -> None:
        if not self.in_thread:
            call()
            return
        future = asyncio.get_running_loop().run_in_executor(None, call)
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)

    async def drain(self) -> None:
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
