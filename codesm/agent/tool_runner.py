"""Running the tool calls of one model step: permission, approval, execution, events.

Consecutive read-only calls run concurrently; a call that may change something runs alone, in the
order the model made it. Every call gets exactly one `tool_call_finished`, whatever happens.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codesm.agent.approvals import ApprovalBroker
from codesm.agent.changes.apply import ChangeApplier
from codesm.agent.changes.commands import journal_command_changes
from codesm.agent.changes.snapshot import WorkspaceSnapshot
from codesm.agent.events import (
    ApprovalRequested,
    ChangeApplied,
    ToolCallFinished,
    ToolCallStarted,
    ToolOutputDelta,
)
from codesm.agent.hub import SessionHub
from codesm.agent.messages import MalformedToolCall, ToolCall
from codesm.agent.permissions.answers import ProjectAnswers
from codesm.agent.permissions.engine import Decision, PermissionEngine, ToolRequest
from codesm.agent.review import GateMode, ReviewGate
from codesm.agent.tools.base import RunTool, ToolContext, ToolResult
from codesm.agent.tools.execute import execute_tool_call
from codesm.agent.tools.ledger import ReadLedger
from codesm.agent.tools.registry import ToolRegistry
from codesm.agent.tools.todo_store import TodoStore
from codesm.errors import CodesmError

log = logging.getLogger(__name__)

CANCELLED_RESULT = "Cancelled by the user before this tool finished."


@dataclass(frozen=True)
class ToolOutcome:
    call_id: str
    content: str
    is_error: bool


@dataclass
class ToolRunner:
    """Runs tool calls for one session."""

    hub: SessionHub
    session_id: str
    root: Path
    tools: ToolRegistry
    permissions: PermissionEngine
    approvals: ApprovalBroker
    ledger: ReadLedger
    todos: TodoStore
    applier: ChangeApplier
    agent: str = "agent"
    before_shell: Callable[[], Awaitable[str | None]] | None = None
    snapshots: WorkspaceSnapshot | None = None
    project_answers: ProjectAnswers | None = None
    """Where "always for this project" answers are kept (None: they last for the session)."""
    """Shadow-git snapshots taken around shell commands so their file changes can be undone."""
    """Handed to `bash` to run before each command (the workspace snapshot for undo)."""

    async def run_all(
        self,
        turn_id: str,
        calls: Sequence[ToolCall | MalformedToolCall],
        cancel: asyncio.Event,
    ) -> list[ToolOutcome]:
        outcomes: list[ToolOutcome] = []
        batch: list[ToolCall | MalformedToolCall] = []
        for call in calls:
            if self._read_only(call):
                batch.append(call)
                continue
            outcomes += await self._concurrently(turn_id, batch, cancel)
            batch = []
            outcomes.append(await self.run_one(turn_id, call, cancel))
        outcomes += await self._concurrently(turn_id, batch, cancel)
        return outcomes

    def _read_only(self, call: ToolCall | MalformedToolCall) -> bool:
        tool = self.tools.get(call.name)
        return isinstance(call, MalformedToolCall) or tool is None or tool.read_only

    async def _concurrently(
        self, turn_id: str, batch: list[ToolCall | MalformedToolCall], cancel: asyncio.Event
    ) -> list[ToolOutcome]:
        if not batch:
            return []
        return list(await asyncio.gather(*(self.run_one(turn_id, c, cancel) for c in batch)))

    async def run_one(
        self, turn_id: str, call: ToolCall | MalformedToolCall, cancel: asyncio.Event
    ) -> ToolOutcome:
        arguments = call.arguments if isinstance(call, ToolCall) else {}
        await self.hub.publish(
            self.session_id,
            ToolCallStarted(
                turn_id=turn_id, call_id=call.call_id, name=call.name, arguments=arguments
            ),
        )
        try:
            content, is_error = await self._execute(turn_id, call, cancel)
        except asyncio.CancelledError:
            await self._finish(turn_id, call.call_id, CANCELLED_RESULT, True)
            raise
        if cancel.is_set() and not is_error:
            content = f"{content}\n(The user cancelled the turn after this tool finished.)"
        return await self._finish(turn_id, call.call_id, content, is_error)

    async def _finish(
        self, turn_id: str, call_id: str, content: str, is_error: bool
    ) -> ToolOutcome:
        await self.hub.publish(
            self.session_id,
            ToolCallFinished(turn_id=turn_id, call_id=call_id, content=content, is_error=is_error),
        )
        return ToolOutcome(call_id, content, is_error)

    async def _execute(
        self,
        turn_id: str,
        call: ToolCall | MalformedToolCall,
        cancel: asyncio.Event,
        *,
        nested: bool = False,
    ) -> tuple[str, bool]:
        if isinstance(call, MalformedToolCall):
            return (
                f"The arguments of this {call.name} call were not valid JSON ({call.error}); "
                "it was not run. Send the call again with a JSON object as arguments.",
                True,
            )
        if cancel.is_set():
            return CANCELLED_RESULT, True
        tool = self.tools.get(call.name)
        kind = self.permissions_kind(call.name)
        gate: GateMode = "apply"
        decision: Decision | None = None
        if tool is not None:
            decision = self.permissions.decide(self._request(call, kind))
            if decision.action == "deny":
                return f"Not allowed: {decision.reason}", True
            if tool.dispatches_calls:
                pass  # each inner call is decided on its own (see `_inner_runner`)
            elif kind == "edit":
                gate = {"allow": "apply", "ask": "review", "dry_run": "dry_run"}[decision.action]  # type: ignore[assignment]
            elif decision.action == "dry_run":
                return f"Dry run: {call.name} was not run. {decision.reason}", False
            elif decision.action == "ask":
                answer = await self.approvals.ask(
                    ApprovalRequested(
                        turn_id=turn_id,
                        call_id=call.call_id,
                        kind="command" if kind == "shell" else "tool",
                        title=_title(call),
                        detail=json.dumps(call.arguments, indent=2, ensure_ascii=False),
                        reason=decision.reason,
                    )
                )
                if not answer.approved:
                    why = f" The user said: {answer.comment}" if answer.comment else ""
                    return f"The user did not approve this {call.name} call.{why}", True
                if answer.remember is not None:
                    remembered = self.permissions.remember(
                        self._request(call, kind), scope=answer.remember
                    )
                    if answer.remember == "project" and self.project_answers is not None:
                        self.project_answers.add(remembered)
        ctx = ToolContext(
            root=self.root,
            session_id=self.session_id,
            call_id=call.call_id,
            changes=ReviewGate(
                hub=self.hub,
                session_id=self.session_id,
                turn_id=turn_id,
                call_id=call.call_id,
                approvals=self.approvals,
                applier=self.applier,
                mode=gate,
            ),
            read_ledger=self.ledger,
            todos=self.todos,
            emit_output=self._emitter(turn_id, call.call_id),
            cancel=cancel,
            before_shell=self.before_shell,
            run_tool=None if nested else self._inner_runner(turn_id, cancel),
            turn_id=turn_id,
        )
        before = await self._snapshot_before(kind, decision)
        result = await execute_tool_call(self.tools, call.name, call.arguments, ctx)
        if before is not None:
            await self._journal_shell(turn_id, call.call_id, before)
        return result.content, result.is_error

    async def _snapshot_before(self, kind: str, decision: Decision | None) -> str | None:
        """Snapshot the workspace before a command that may write, so its file changes can be
        undone. Commands allowed by the built-in read-only allowlist are not snapshotted."""
        if self.snapshots is None or kind != "shell" or decision is None:
            return None
        if decision.rule is not None and decision.rule.source == "builtin":
            return None
        try:
            return await self.snapshots.snapshot()
        except CodesmError as exc:
            log.warning("workspace snapshot failed; this command cannot be undone: %s", exc)
            return None

    async def _journal_shell(self, turn_id: str, call_id: str, before: str) -> None:
        try:
            changed = await journal_command_changes(
                self.applier.journal, self.snapshots, before=before,  # type: ignore[arg-type]
                session_id=self.session_id, call_id=call_id,
            )  # fmt: skip
        except CodesmError as exc:
            log.warning("could not journal the files a command changed: %s", exc)
            return
        if changed.entry is not None:
            await self.hub.publish(
                self.session_id,
                ChangeApplied(turn_id=turn_id, call_id=call_id,
                              change_id=changed.entry.change_id, paths=list(changed.paths)),
            )  # fmt: skip

    def _inner_runner(self, turn_id: str, cancel: asyncio.Event) -> RunTool:
        """Runs a `batch`'s inner calls through `_execute`: permission, approval, execution. They
        publish no `tool_call_started`/`finished` of their own (the transcript holds only the
        batch's result); approvals and output deltas carry the inner call id."""

        async def run_tool(call_id: str, name: str, arguments: dict[str, Any]) -> ToolResult:
            call = ToolCall(call_id=call_id, name=name, arguments=arguments)
            content, is_error = await self._execute(turn_id, call, cancel, nested=True)
            return ToolResult(content, is_error=is_error)

        return run_tool

    def permissions_kind(self, name: str) -> str:
        from codesm.agent.permissions.engine import TOOL_KINDS

        return TOOL_KINDS.get(name, "other")

    def _request(self, call: ToolCall, kind: str) -> ToolRequest:
        args: dict[str, Any] = call.arguments
        command = args.get("command") if kind == "shell" else None
        tool = self.tools.get(call.name)
        paths = tool.permission_paths(args) if tool is not None else ()
        url = args.get("url") if isinstance(args.get("url"), str) else None
        return ToolRequest(
            tool=call.name,
            command=command if isinstance(command, str) else None,
            paths=paths,
            url=url,
            session_id=self.session_id,
            actor=self.agent,
        )

    def _emitter(self, turn_id: str, call_id: str) -> Any:
        async def emit(text: str) -> None:
            if text:
                await self.hub.publish(
                    self.session_id, ToolOutputDelta(turn_id=turn_id, call_id=call_id, text=text)
                )

        return emit


def _title(call: ToolCall) -> str:
    command = call.arguments.get("command")
    if isinstance(command, str):
        return f"{call.name}: {command[:200]}"
    return call.name
