"""`codesm threads replay`: play a thread's event log back in the terminal at a readable pace.

Assistant text is typed out a few words at a time; pauses between events follow the recorded
gaps, capped so a thread left open overnight replays in seconds. `sleep` and `write` are injected
so tests run instantly and capture what a user would see.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from codesm.agent.events import (
    ApprovalRequested,
    AssistantMessage,
    ChangeApplied,
    ChangeProposed,
    Error,
    StoredEvent,
    ToolCallFinished,
    ToolCallStarted,
    TurnFinished,
    UserMessage,
)

MAX_GAP_S = 1.0
WORD_DELAY_S = 0.03
RESULT_LINES = 8


@dataclass(frozen=True)
class ReplayPace:
    """`speed` multiplies the pace (2 = twice as fast); `instant` skips every pause."""

    speed: float = 1.0
    instant: bool = False

    def delay(self, seconds: float) -> float:
        return 0.0 if self.instant else seconds / self.speed


def _clip(text: str, lines: int = RESULT_LINES) -> str:
    kept = text.splitlines()
    more = len(kept) - lines
    shown = "\n".join(f"  │ {line}" for line in kept[:lines])
    return shown + (f"\n  │ … {more} more lines" if more > 0 else "")


def _summary(name: str, arguments: dict[str, object]) -> str:
    command = arguments.get("command")
    if isinstance(command, str):
        return command
    path = arguments.get("path") or arguments.get("file_path") or arguments.get("pattern")
    if isinstance(path, str):
        return path
    return json.dumps(arguments, ensure_ascii=False)[:120]


def replay(
    events: Iterable[StoredEvent],
    *,
    write: Callable[[str], None],
    sleep: Callable[[float], None],
    pace: ReplayPace = ReplayPace(),
) -> int:
    """Write the thread to `write` at `pace`; returns how many events were shown."""
    shown = 0
    previous = None
    for stored in events:
        if previous is not None:
            gap = (stored.ts - previous).total_seconds()
            if gap > 0:
                sleep(pace.delay(min(gap, MAX_GAP_S)))
        previous = stored.ts
        event = stored.event
        if isinstance(event, UserMessage):
            write(f"\n> {event.text.strip()}\n")
        elif isinstance(event, AssistantMessage) and event.text.strip():
            write("\n")
            for word in re.findall(r"\S+\s*", event.text.strip()):
                write(word)
                sleep(pace.delay(WORD_DELAY_S))
            write("\n")
        elif isinstance(event, ToolCallStarted):
            write(f"⏺ {event.name}({_summary(event.name, event.arguments)})\n")
        elif isinstance(event, ToolCallFinished):
            mark = "✗" if event.is_error else "✓"
            write(f"  {mark} result\n{_clip(event.content)}\n")
        elif isinstance(event, ChangeProposed | ChangeApplied):
            verb = "proposed" if isinstance(event, ChangeProposed) else "applied"
            write(f"  ✎ change {verb}: {', '.join(event.paths)}\n")
        elif isinstance(event, ApprovalRequested):
            write(f"  ? approval requested: {event.title}\n")
        elif isinstance(event, Error):
            write(f"  ! {event.kind} error: {event.message}\n")
        elif isinstance(event, TurnFinished) and event.status != "completed":
            write(f"  (turn {event.status}{': ' + event.reason if event.reason else ''})\n")
        else:
            continue
        shown += 1
    return shown
