"""Live progress of a subagent, reported into the session that started it.

`ProgressReporter` follows the child session's events through the hub (as any UI does) and turns
them into `subagent_progress` snapshots in the parent session: the step it is on (one per model
call), what it does (`running grep 'foo'`, `waiting for approval: ...`), elapsed time, tokens and
cost so far. Progress of the child's own subagents, found in the child's log, is passed up with
`parent_child_session_id` set, so every ancestor can show them nested under the child; each level
does the same, so any depth reaches the root session.

`finish(until_seq)` waits until every child event up to `until_seq` is reported, so the last state
of a nested subagent is never lost when its parent ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from codesm.agent.events import (
    ApprovalRequested,
    Event,
    SubagentFinished,
    SubagentProgress,
    SubagentStarted,
    ToolCallFinished,
    ToolCallStarted,
    TurnStarted,
    Usage,
    UserMessage,
)
from codesm.agent.hub import SessionHub, Subscription
from codesm.security.clip import clip_words

log = logging.getLogger(__name__)

ACTIVITY_CHARS = 80
KEY_ARGUMENTS = ("command", "pattern", "path", "file_path", "query", "url", "description")


def describe_call(name: str, arguments: dict[str, Any]) -> str:
    """`grep 'foo'`: a tool call as one short phrase."""
    for key in KEY_ARGUMENTS:
        value = arguments.get(key)
        if isinstance(value, str) and value.strip():
            return f"{name} '{clip(' '.join(value.split()), ACTIVITY_CHARS - len(name) - 3)}'"
    return name


def clip(text: str, limit: int = ACTIVITY_CHARS) -> str:
    return clip_words(text, max(1, limit - 1))  # between words: a cut secret escapes redaction


@dataclass
class ProgressReporter:
    """One subagent's progress, as seen from the session that started it; see the module doc."""

    hub: SessionHub
    parent_session_id: str
    turn_id: str
    call_id: str
    child_session_id: str
    subagent_type: str
    model: str
    description: str
    depth: int
    started: float = field(default_factory=time.monotonic)
    step: int = 0
    activity: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    _open_calls: set[str] = field(default_factory=set)
    _nested: dict[str, SubagentProgress] = field(default_factory=dict)
    _subscription: Subscription | None = None
    _task: asyncio.Task[None] | None = None
    _until: int | None = None

    # --- folding (pure) ------------------------------------------------------------------------

    def observe(self, event: Event) -> list[SubagentProgress]:
        """The progress to report for one event of the child session (often none)."""
        match event:
            case TurnStarted():
                return self._moved(step=self.step + 1, activity="thinking")
            case UserMessage() if event.steering:
                return self._moved(activity=f"steered: {clip(' '.join(event.text.split()))}")
            case ToolCallStarted():
                self._open_calls.add(event.call_id)
                return self._moved(activity=f"running {describe_call(event.name, event.arguments)}")
            case ToolCallFinished() if event.call_id in self._open_calls:
                self._open_calls.discard(event.call_id)
                if self._open_calls:
                    return []
                return self._moved(step=self.step + 1, activity="thinking")
            case ApprovalRequested() if event.subagent_session_id is None:
                return self._moved(activity=f"waiting for approval: {clip(event.title)}")
            case Usage():
                self.input_tokens += (
                    event.input_tokens + event.cache_read_tokens + event.cache_write_tokens
                )
                self.output_tokens += event.output_tokens
                self.cost_usd += event.cost_usd
                return []
            case SubagentStarted() | SubagentFinished() | SubagentProgress():
                return [self._nested_progress(event)]
            case _:
                return []

    def snapshot(self) -> SubagentProgress:
        return SubagentProgress(
            turn_id=self.turn_id,
            call_id=self.call_id,
            child_session_id=self.child_session_id,
            subagent_type=self.subagent_type,
            model=self.model,
            description=self.description,
            depth=self.depth,
            step=self.step,
            activity=self.activity,
            elapsed_s=round(time.monotonic() - self.started, 1),
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            cost_usd=self.cost_usd,
        )

    def _moved(self, *, step: int | None = None, activity: str) -> list[SubagentProgress]:
        self.step = step if step is not None else max(self.step, 1)
        self.activity = activity
        return [self.snapshot()]

    def _nested_progress(
        self, event: SubagentStarted | SubagentFinished | SubagentProgress
    ) -> SubagentProgress:
        turn_id, call_id = self.turn_id, self.call_id
        if isinstance(event, SubagentProgress):
            under = event.parent_child_session_id or self.child_session_id
            update = {"turn_id": turn_id, "call_id": call_id, "parent_child_session_id": under}
            progress = event.model_copy(update=update)
        elif isinstance(event, SubagentStarted):
            progress = SubagentProgress(
                turn_id=turn_id, call_id=call_id, child_session_id=event.child_session_id,
                parent_child_session_id=self.child_session_id,
                subagent_type=event.subagent_type, model=event.model,
                description=event.description, depth=event.depth, activity="starting",
            )  # fmt: skip
        else:
            last = self._nested.get(event.child_session_id)
            progress = SubagentProgress(
                turn_id=turn_id, call_id=call_id, child_session_id=event.child_session_id,
                parent_child_session_id=self.child_session_id,
                subagent_type=event.subagent_type, model=event.model,
                description=last.description if last else "",
                depth=last.depth if last else self.depth + 1,
                status=event.status, step=event.steps,
                activity=clip(event.error or event.summary or event.status),
                elapsed_s=event.duration_s, cost_usd=event.cost_usd,
                input_tokens=event.input_tokens or (last.input_tokens if last else 0),
                output_tokens=event.output_tokens or (last.output_tokens if last else 0),
            )  # fmt: skip
        self._nested[event.child_session_id] = progress
        return progress

    # --- following the child session -----------------------------------------------------------

    def start(self) -> None:
        """Follow the child session from its first event, in the background."""
        self._subscription = self.hub.subscribe(self.child_session_id)
        self._task = asyncio.create_task(self._follow(self._subscription))

    async def _follow(self, events: Subscription) -> None:
        async with events:
            async for stored in events:
                for progress in self.observe(stored.event):
                    try:
                        await self.hub.publish(self.parent_session_id, progress)
                    except Exception:  # progress is a view: the run itself must go on
                        log.exception("reporting progress of %s", self.child_session_id)
                if self._until is not None and stored.seq >= self._until:
                    return

    async def finish(self, until_seq: int) -> None:
        """Report every child event up to `until_seq`, then stop following."""
        task, events = self._task, self._subscription
        if task is None or events is None:
            return
        self._until = until_seq
        if events.cursor >= until_seq:
            events.close()
        await asyncio.wait({task})

    async def close(self) -> None:
        """Stop at once (the run was cancelled from outside)."""
        if self._subscription is not None:
            self._subscription.close()
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
