"""The loop guard and the per-turn caps that no approval resets."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from codesm.agent.messages import ToolCall

if TYPE_CHECKING:
    from codesm.agent.budgets import BudgetGate

REPEAT_LIMIT = 3


@dataclass(frozen=True)
class TurnLimits:
    max_steps: int = 200
    max_seconds: float = 3600.0
    max_cost_usd: float | None = None


@dataclass
class LoopGuard:
    """Counts identical consecutive tool calls (same tool, same arguments)."""

    limit: int = REPEAT_LIMIT
    _last: str | None = None
    _count: int = 0

    def observe(self, call: ToolCall) -> bool:
        """Record a call; True when it is the `limit`-th identical call in a row."""
        key = call.name + "\0" + json.dumps(call.arguments, sort_keys=True, default=str)
        self._count = self._count + 1 if key == self._last else 1
        self._last = key
        return self._count >= self.limit

    def reset(self) -> None:
        self._last, self._count = None, 0


@dataclass
class TurnBudget:
    limits: TurnLimits
    started: float = field(default_factory=time.monotonic)
    steps: int = 0
    cost_usd: float = 0.0
    parent: TurnBudget | None = None
    """The budget of the turn that started this subagent's run: charges reach it at once."""
    gate: BudgetGate | None = None
    """The budget checks this turn's model calls go through (shared with its subagents)."""

    def charge(self, usd: float) -> None:
        """Count `usd` against this turn and every turn above it, as it is spent."""
        budget: TurnBudget | None = self
        while budget is not None:
            budget.cost_usd += usd
            budget = budget.parent

    def exceeded(self) -> str | None:
        """Why the turn must stop now, or None."""
        if self.steps >= self.limits.max_steps:
            return f"the turn reached its limit of {self.limits.max_steps} model steps"
        elapsed = time.monotonic() - self.started
        if elapsed >= self.limits.max_seconds:
            return f"the turn ran for its limit of {self.limits.max_seconds:.0f} s"
        cap = self.limits.max_cost_usd
        if cap is not None and self.cost_usd >= cap:
            return f"the turn cost ${self.cost_usd:.4f}, its limit is ${cap:.4f}"
        return None
