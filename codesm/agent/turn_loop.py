"""One turn's loop: model step -> tools -> model step ... until the model stops calling tools.

Before each step it checks the turn's limits and budgets, adds steering that arrived, and
compacts the history when the request would not fit; a broken stream is retried, a context
overflow compacts once more, and the same tool call repeated 3 times asks the user.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from codesm.agent import compaction
from codesm.agent.context_usage import measure_request
from codesm.agent.events import ApprovalRequested, AssistantMessage, Error, TurnStatus, UserMessage
from codesm.agent.guard import LoopGuard
from codesm.agent.messages import MalformedToolCall, ProviderRequest, ToolCall, ToolCallPart
from codesm.agent.model_step import StepResult, run_model_step
from codesm.agent.providers.base import Provider
from codesm.agent.providers.registry import ResolvedModel
from codesm.agent.tool_runner import ToolRunner
from codesm.agent.turn import TurnAccount
from codesm.errors import ContextOverflowError, ProviderError, StreamInterrupted

if TYPE_CHECKING:
    from codesm.agent.agent import Agent

STREAM_ATTEMPTS = 3
CANCELLED = "cancelled by the user"


class TurnLoop:
    """Runs the steps of turn `turn_id` for `agent`; `run` returns how the turn ended."""

    def __init__(
        self, agent: Agent, *, turn_id: str, account: TurnAccount, cancel: asyncio.Event
    ) -> None:
        self.agent = agent
        self.turn_id = turn_id
        self.budget = account.budget
        self.gate = account.gate
        self.cancel = cancel

    async def run(self) -> tuple[TurnStatus, str | None, str]:
        """The turn's status, why it stopped early (or None) and the model's last text."""
        agent = self.agent
        resolved = agent.deps.models.resolve(agent.model_name, agent.mode)  # type: ignore[arg-type]
        provider = agent.providers.get(resolved)
        runner = self._tool_runner()
        guard = LoopGuard()
        text = ""
        overflow_compacted = False
        while True:
            if self.cancel.is_set():
                return "cancelled", CANCELLED, text
            why = self.budget.exceeded()
            if why is not None:
                return "paused", why, text
            stopped = await self.gate.check()
            if self.cancel.is_set():
                return "cancelled", CANCELLED, text
            if stopped is not None:
                return "paused", f"stopped: {stopped.message()}", text
            await self._inject_steering()
            request = await self._request(resolved)
            self.budget.steps += 1
            try:
                step = await self._stream_with_retries(provider, request, resolved)
            except ContextOverflowError:
                if overflow_compacted:
                    raise
                overflow_compacted = True
                await agent.compact(turn_id=self.turn_id, provider=provider, resolved=resolved)
                continue
            self.budget.charge(step.cost_usd)
            await self.gate.warn()
            if self.cancel.is_set():
                return "cancelled", CANCELLED, text
            text = step.text or text
            if not step.tool_calls and not step.malformed:
                if agent.steering.pending:  # sent while this step streamed: one more step reads it
                    continue
                return "completed", None, step.text
            calls: list[ToolCall | MalformedToolCall] = [*step.tool_calls, *step.malformed]
            for call in step.tool_calls:
                if guard.observe(call) and not await self._confirm_repeat(call):
                    await runner.run_all(self.turn_id, calls, _set_event())
                    return "paused", f"the same {call.name} call was repeated 3 times", text
            await runner.run_all(self.turn_id, calls, self.cancel)

    def _tool_runner(self) -> ToolRunner:
        agent = self.agent
        return ToolRunner(
            agent.deps.hub,
            agent.session_id,
            agent.root,
            agent.deps.tools,
            agent.deps.permissions,
            agent.approvals,
            agent.ledger,
            agent.deps.todos,
            applier=agent.applier,
            agent=agent.agent_name or "agent",
            snapshots=agent.deps.snapshots,
            project_answers=agent.deps.project_answers,
        )

    async def _inject_steering(self) -> None:
        texts = self.agent.steering.take()
        if texts:
            await self.agent.publish(
                *(UserMessage(turn_id=self.turn_id, text=t, steering=True) for t in texts)
            )

    async def _confirm_repeat(self, call: ToolCall) -> bool:
        answer = await self.agent.approvals.ask(
            ApprovalRequested(
                turn_id=self.turn_id,
                call_id=call.call_id,
                kind="tool",
                title=f"{call.name} was called 3 times in a row with the same "
                "arguments. Let it continue?",
                reason="loop guard",
            )
        )
        return answer.approved

    async def _request(self, resolved: ResolvedModel) -> ProviderRequest:
        agent = self.agent
        messages = await agent.history()
        system = agent.deps.system_prompt()
        specs = agent.deps.tools.specs()
        window, max_out = resolved.info.context_window, resolved.info.max_output
        max_tokens = min(max_out, 32_000)
        # One pass over the history per step: the same measure estimates the context, is the
        # breakdown the UIs show once the usage report arrives, and calibrates the estimate.
        sections = agent.deps.prompt_sections
        estimate = agent.context.measure(measure_request(system, messages, specs, sections))
        if compaction.needs_compaction(estimate, context_window=window, max_output=max_tokens):
            provider = agent.providers.get(resolved)
            await agent.compact(turn_id=self.turn_id, provider=provider, resolved=resolved)
            messages = await agent.history()
            agent.context.measure(measure_request(system, messages, specs, sections))
        return ProviderRequest(
            model=resolved.info.id,
            system=system,
            messages=messages,
            tools=specs,
            max_tokens=max_tokens,
        )

    async def _stream_with_retries(
        self, provider: Provider, request: ProviderRequest, resolved: ResolvedModel
    ) -> StepResult:
        agent = self.agent
        for attempt in range(1, STREAM_ATTEMPTS + 1):
            result = StepResult()
            try:
                await run_model_step(
                    provider,
                    request,
                    resolved=resolved,
                    turn_id=self.turn_id,
                    agent=agent.agent_name,
                    publish=agent.publish,
                    cancel=self.cancel,
                    result=result,
                )
            except StreamInterrupted as exc:
                await self._publish_assistant(result, incomplete=True)
                if attempt == STREAM_ATTEMPTS or self.cancel.is_set():
                    raise ProviderError(
                        f"the response stream broke {attempt} times ({exc}); "
                        "the turn is incomplete",
                        retryable=True,
                    ) from exc
                await agent.publish(
                    Error(
                        turn_id=self.turn_id,
                        message=f"{exc}; retrying",
                        kind="stream",
                        retryable=True,
                    )
                )
                continue
            cancelled = self.cancel.is_set() and result.stop_reason is None
            if cancelled:
                result.tool_calls, result.malformed = [], []
            output = await self._publish_assistant(result, incomplete=cancelled)
            report = agent.context.after_step(
                result, output, resolved=resolved, turn_id=self.turn_id
            )
            if report is not None:
                await agent.publish(report)
            return result
        raise AssertionError("unreachable")

    async def _publish_assistant(self, step: StepResult, *, incomplete: bool) -> AssistantMessage:
        calls = [
            ToolCallPart(call_id=c.call_id, name=c.name, arguments=c.arguments)
            for c in step.tool_calls
        ]
        calls += [
            ToolCallPart(call_id=m.call_id, name=m.name, arguments={}) for m in step.malformed
        ]
        message = AssistantMessage(
            turn_id=self.turn_id,
            text=step.text,
            thinking=step.thinking,
            tool_calls=calls,
            incomplete=incomplete,
            stop_reason=step.stop_reason,
        )
        await self.agent.publish(message)
        return message


def _set_event() -> asyncio.Event:
    """An event already set: a paused turn's tool calls get a result without running, so the
    transcript stays valid for the next request."""
    event = asyncio.Event()
    event.set()
    return event
