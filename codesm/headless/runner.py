"""`codesm -x`: run prompts without a UI and print the answer (or stream-json) to stdout.

Nothing here can wait for a person: the runtime is opened non-interactive, so an `ask` from the
permission engine becomes a denial the model is told about. Logs go to stderr, never stdout.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from typing import IO

from codesm import __version__
from codesm.agent.agent import Agent, TurnOutcome
from codesm.agent.events import SubagentStarted, ToolCallFinished
from codesm.agent.launch import LaunchOptions, open_runtime
from codesm.agent.ops import SetBudget, SetMode, SetModel
from codesm.agent.runtime import Runtime
from codesm.errors import CodesmError, ConfigError
from codesm.headless.stream_json import StreamJsonWriter
from codesm.security.redact import Redactor
from codesm.security.redact_split import redact_markdown
from codesm.store import SessionRecord


@dataclass(frozen=True)
class HeadlessOptions(LaunchOptions):
    prompt: str | None = None
    stream_json: bool = False
    stream_json_thinking: bool = False
    stream_json_input: bool = False
    include_partial: bool = False
    mode: str | None = None
    model: str | None = None
    labels: tuple[str, ...] = ()
    continue_latest: bool = False
    session_id: str | None = None


async def _choose_session(runtime: Runtime, options: HeadlessOptions) -> SessionRecord:
    if options.session_id:
        found = await runtime.store.sessions.get(options.session_id)
        if found is None:
            raise ConfigError(f"no session with id {options.session_id!r}")
        return found
    if options.continue_latest:
        latest = await runtime.latest_session()
        if latest is not None:
            return latest
    return await runtime.new_session(mode=options.mode, model=options.model, labels=options.labels)


async def _stdin_prompts(stdin: IO[str]) -> AsyncIterator[str]:
    """User messages from `--stream-json-input` lines; ends when stdin closes."""
    while True:
        line = await asyncio.to_thread(stdin.readline)
        if not line:
            return
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            content = data["message"]["content"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"stream-json input line is not a user message: {exc}") from exc
        if isinstance(content, list):
            content = "\n".join(
                block.get("text", "") for block in content if isinstance(block, dict)
            )
        yield str(content)


class _Forwarder:
    """Feeds committed events to the stream-json writer, live, in seq order.

    A `subagent_started` event starts a forwarder for the child session whose lines carry the
    tool call's id as `parent_tool_use_id`; the parent's result for that call is written only
    once the children's events are, so each subagent's messages come before its tool result.
    """

    def __init__(
        self,
        runtime: Runtime,
        session_id: str,
        writer: StreamJsonWriter | None,
        parent_tool_use_id: str | None = None,
    ) -> None:
        self._runtime = runtime
        self._session_id = session_id
        self._writer = writer
        self._parent_tool_use_id = parent_tool_use_id
        self._seen = 0
        self._progress = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self._children: dict[str, list[_Forwarder]] = {}

    async def start(self, after: int | None = None) -> None:
        self._seen = (
            await self._runtime.store.events.last_seq(self._session_id) if after is None else after
        )
        if self._writer is not None:
            self._task = asyncio.create_task(self._run(self._seen))

    async def _run(self, after: int) -> None:
        assert self._writer is not None
        async with self._runtime.hub.subscribe(self._session_id, after_seq=after) as events:
            async for stored in events:
                event = stored.event
                if isinstance(event, SubagentStarted):
                    child = _Forwarder(
                        self._runtime, event.child_session_id, self._writer, event.call_id
                    )
                    await child.start(after=0)
                    self._children.setdefault(event.call_id, []).append(child)
                elif isinstance(event, ToolCallFinished) and event.call_id in self._children:
                    for child in self._children.pop(event.call_id):
                        await child.drain()
                        await child.stop()
                self._writer.on_event(event, self._parent_tool_use_id)
                async with self._progress:
                    self._seen = stored.seq
                    self._progress.notify_all()

    async def drain(self) -> None:
        """Wait until every committed event was written out (subagents' included)."""
        if self._task is None:
            return
        target = await self._runtime.store.events.last_seq(self._session_id)
        async with self._progress:
            await self._progress.wait_for(lambda: self._seen >= target)
        for children in list(self._children.values()):
            for child in children:
                await child.drain()

    async def stop(self) -> None:
        for children in self._children.values():
            for child in children:
                await child.stop()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


async def run_headless(options: HeadlessOptions, *, stdin: IO[str], stdout: IO[str]) -> int:
    """Run the prompt(s); returns the exit code. Errors for the user raise `CodesmError`."""
    started = time.monotonic()
    if not options.stream_json_input and not (options.prompt and options.prompt.strip()):
        raise ConfigError("execute mode needs a prompt: pass it after -x or through standard input")
    # `max_budget_usd` is set on the run's session below, not on the runtime's settings.
    runtime = await open_runtime(replace(options, max_budget_usd=None), interactive=False)
    try:
        session = await _choose_session(runtime, options)
        agent = await runtime.agent(session)
        if options.mode:
            await agent.handle(SetMode(mode=options.mode))  # type: ignore[arg-type]
        if options.model:
            await agent.handle(SetModel(model=options.model))
        if options.max_budget_usd is not None:
            await agent.handle(SetBudget(scope="session", usd=options.max_budget_usd))
        resolved = runtime.models.resolve(agent.model_name, agent.mode)  # type: ignore[arg-type]
        redactor = output_redactor(runtime)
        redact = functools.partial(redact_markdown, redactor=redactor)
        writer = None
        if options.stream_json:
            writer = StreamJsonWriter(
                stdout,
                session.id,
                include_thinking=options.stream_json_thinking,
                include_partial=options.include_partial,
                redact=redact,
                hold_for=redactor,
            )
            writer.init(
                cwd=str(runtime.workspace),
                model=resolved.info.id,
                tools=agent.deps.tools.names(),
                permission_mode=runtime.permission_mode,
                version=__version__,
                mcp_servers=runtime.extensions.server_states() if runtime.extensions else [],
            )
        forwarder = _Forwarder(runtime, session.id, writer)
        await forwarder.start()
        try:
            outcome = await _run_prompts(agent, options, stdin, writer)
            await forwarder.drain()
        finally:
            await forwarder.stop()
    finally:
        await runtime.aclose()
    return _finish(outcome, writer, stdout, started, redact)


async def _run_prompts(
    agent: Agent, options: HeadlessOptions, stdin: IO[str], writer: StreamJsonWriter | None
) -> TurnOutcome | None:
    if not options.stream_json_input:
        return await agent.run_turn(options.prompt or "")
    outcome = None
    async for prompt in _stdin_prompts(stdin):
        if writer is not None:
            writer.user_prompt(prompt)
        outcome = await agent.run_turn(prompt)
        if outcome.status != "completed":
            break
    return outcome


def output_redactor(runtime: Runtime) -> Redactor:
    """What headless output goes through. Its stdout (answer or stream-json) usually ends up in
    a CI log or another program, so it is treated like a log: configured keys, secret-named
    variables, `.env` values and key-shaped strings are redacted, also where markdown splits
    them (`redact_markdown`). The session itself keeps the text as it was."""
    redactor = Redactor.for_environment(workspace=runtime.workspace)
    redactor.add(p.api_key for p in runtime.models.providers.values() if p.api_key)
    return redactor


def _finish(
    outcome: TurnOutcome | None,
    writer: StreamJsonWriter | None,
    stdout: IO[str],
    started: float,
    redact: Callable[[str], str] = str,
) -> int:
    if outcome is None:
        raise CodesmError("no user message arrived on standard input")
    ok = outcome.status == "completed"
    if writer is not None:
        elapsed = int((time.monotonic() - started) * 1000)
        subtype = "success" if ok else "error_during_execution"
        if outcome.status == "paused" and "model steps" in (outcome.reason or ""):
            subtype = "error_max_turns"
        if outcome.budget_exceeded:
            subtype = "error_max_budget_usd"
        writer.result(
            subtype=subtype,
            is_error=not ok,
            result=outcome.text,
            duration_ms=elapsed,
            duration_api_ms=elapsed,
            errors=None if ok else [outcome.reason or outcome.status],
        )
    elif ok:
        stdout.write(redact(outcome.text).rstrip("\n") + "\n")
        stdout.flush()
    if not ok:
        raise TurnFailed(outcome, redact)
    return 0


class TurnFailed(CodesmError):
    """The turn ended without completing (error, cancelled, paused or incomplete)."""

    def __init__(self, outcome: TurnOutcome, redact: Callable[[str], str] = str) -> None:
        reason = redact(outcome.reason or "no reason given")
        message = f"the turn ended {outcome.status}: {reason}"
        if outcome.budget_exceeded:
            message = f"error_max_budget_usd: {message}"
        super().__init__(message)
        self.outcome = outcome
