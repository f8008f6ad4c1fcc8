"""A turn's life outside its loop: the budget and gate it opens at its start and closes at its
end, and the outcome it returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from codesm.agent.approvals import ApprovalBroker
from codesm.agent.budgets import BudgetGate, BudgetKeeper, Publish, TurnSpend
from codesm.agent.events import TurnStatus
from codesm.agent.guard import TurnBudget, TurnLimits


@dataclass(frozen=True)
class TurnOutcome:
    turn_id: str
    status: TurnStatus
    text: str
    reason: str | None = None
    cost_usd: float = 0.0
    steps: int = 0
    budget_exceeded: bool = False
    """Stopped at a spent `codesm.budget.*` limit (headless: `error_max_budget_usd`)."""


@dataclass(frozen=True)
class TurnAccount:
    """One turn's budget and the gate its model calls go through. A subagent's turn that runs
    while its parent's turn runs charges that turn and shares its gate, so a stop or a spent
    budget reaches both; otherwise the turn has a gate of its own."""

    budget: TurnBudget
    gate: BudgetGate
    shares_gate: bool
    owner: int
    """Who registered to be stopped with a shared gate (forgotten at `close`)."""

    @classmethod
    def open(
        cls,
        turn_id: str,
        *,
        limits: TurnLimits,
        parent: TurnBudget | None,
        keeper: BudgetKeeper,
        approvals: ApprovalBroker,
        publish: Publish,
        owner: int,
        stop: Callable[[], None],
    ) -> TurnAccount:
        inherited = parent.gate if parent is not None and parent.gate is not None else None
        if inherited is not None and not inherited.active:
            parent = inherited = None  # the parent's turn is over: this is a turn of its own
        budget = TurnBudget(limits, parent=parent)
        gate = inherited or BudgetGate(keeper, TurnSpend(turn_id, budget), approvals, publish)
        budget.gate = gate
        if inherited is not None:
            inherited.on_stop(owner, stop)
        return cls(budget, gate, inherited is not None, owner)

    def close(self) -> None:
        """The turn is over: a shared gate forgets it, an own gate no longer lets subagents
        reopened later charge this turn."""
        if self.shares_gate:
            self.gate.forget(self.owner)
        else:
            self.gate.active = False

    @property
    def stopped_at_budget(self) -> bool:
        return self.gate.spend.stopped is not None
