"""How full one agent's context window is, as far as it knows between model calls."""

from __future__ import annotations

from dataclasses import dataclass

from codesm.agent import compaction
from codesm.agent.context_usage import (
    RequestSize,
    calibration_of,
    context_breakdown,
    measure_request,
    step_breakdown,
)
from codesm.agent.events import AssistantMessage, ContextReport
from codesm.agent.messages import Message, TextPart
from codesm.agent.model_step import StepResult
from codesm.agent.providers.registry import ResolvedModel


@dataclass
class ContextGauge:
    """The last prompt size a provider reported, the measure of the last request sent, and
    the calibration between the two that the `/context` breakdown uses."""

    last_prompt_tokens: int = 0
    request_size: RequestSize | None = None
    calibration: float | None = None

    def measure(self, size: RequestSize) -> int:
        """Remember `size` as the request about to be sent; its prompt in tokens, estimated (never
        below what the provider last reported)."""
        self.request_size = size
        return max(self.last_prompt_tokens, size.total // compaction.CHARS_PER_TOKEN + 1)

    def compacted(self) -> None:
        """The history was summarised: the last reported prompt size says nothing any more."""
        self.last_prompt_tokens = 0

    def after_step(
        self, step: StepResult, output: AssistantMessage, *, resolved: ResolvedModel, turn_id: str
    ) -> ContextReport | None:
        """After a model step: calibrate the estimate by the prompt size the provider reported,
        and say what fills the window now (the request just sent plus its answer); None when
        the provider reported no prompt size."""
        self.last_prompt_tokens = step.prompt_tokens or self.last_prompt_tokens
        size = self.request_size
        if size is None or not step.prompt_tokens:
            return None
        self.calibration = calibration_of(size, step.prompt_tokens)
        answer = Message(
            role="assistant",
            parts=[*output.thinking, TextPart(text=output.text), *output.tool_calls],
        )
        return step_breakdown(
            size, measure_request("", [answer], []), prompt_tokens=step.prompt_tokens,
            output_tokens=step.output_tokens, model=resolved.info.id,
            context_window=resolved.info.context_window, turn_id=turn_id,
        )  # fmt: skip

    def report(self, size: RequestSize, resolved: ResolvedModel) -> ContextReport:
        """What fills the context window for a request of `size` (the `/context` breakdown)."""
        return context_breakdown(
            size,
            model=resolved.info.id,
            context_window=resolved.info.context_window,
            calibration=self.calibration,
        )
