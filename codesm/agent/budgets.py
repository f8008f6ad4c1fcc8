"""Spending budgets (`codesm.budget.session`, `.day`, `.turn`): warn at 80%, ask at 100%.

Before each model call the agent asks its `BudgetKeeper` what the spend is. The first time a
budget passes 80% a `budget_warning` event is published; at 100% the run stops and asks the user
(an approval of kind "budget"): approve = continue for the rest of this turn, deny = stop, or
raise the limit with a `set_budget` op, which also answers the question when the new limit is
above the spend. A headless run cannot ask, so it stops with `error_max_budget_usd`.

The session budget counts the session and its subagents; the day budget counts every session of
the current UTC day; the turn budget counts this turn's `TurnBudget.cost_usd`: its model calls,
its compaction summaries, its session title and every model call of the subagents it runs, each
charged the moment it is made (`TurnBudget.charge`).

One `BudgetGate` per top-level turn is shared by the subagents that turn starts (at any depth):
each of their model calls goes through it, so a budget crossed by a subagent pauses the whole run
at the next model call of any of them, with one question in the top-level session. Continue or
raise lets them all go on; stop cancels the running subagents and ends the turn.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from codesm.agent.approvals import ApprovalAnswer, ApprovalBroker
from codesm.agent.events import ApprovalRequested, BudgetScope, BudgetWarning, Event
from codesm.agent.guard import TurnBudget, TurnLimits
from codesm.store.usage_reports import UsageReports, start_of_day

WARN_AT = 0.8
SCOPES: tuple[BudgetScope, ...] = ("turn", "session", "day")
SETTING_KEYS: dict[BudgetScope, str] = {
    "session": "codesm.budget.session",
    "day": "codesm.budget.day",
    "turn": "codesm.budget.turn",
}

Publish = Callable[..., Awaitable[object]]


@dataclass(frozen=True)
class BudgetLimits:
    """USD limits; None means no budget for that scope."""

    session_usd: float | None = None
    day_usd: float | None = None
    turn_usd: float | None = None

    def get(self, scope: BudgetScope) -> float | None:
        return {"session": self.session_usd, "day": self.day_usd, "turn": self.turn_usd}[scope]

    @property
    def any(self) -> bool:
        return any(self.get(scope) is not None for scope in SCOPES)


@dataclass(frozen=True)
class BudgetStatus:
    scope: BudgetScope
    limit_usd: float
    spent_usd: float

    @property
    def fraction(self) -> float:
        return self.spent_usd / self.limit_usd if self.limit_usd > 0 else float("inf")

    def message(self) -> str:
        return (
            f"the {self.scope} budget of ${self.limit_usd:.4f} is spent "
            f"(${self.spent_usd:.4f} so far); raise {SETTING_KEYS[self.scope]} to go on"
        )


@dataclass
class TurnSpend:
    """One turn's budget state; its spend is read live from the turn's `TurnBudget`, which the
    turn's model steps, subagents and compaction summaries all add to."""

    turn_id: str
    budget: TurnBudget = field(default_factory=lambda: TurnBudget(TurnLimits()))
    allowed: set[BudgetScope] = field(default_factory=set)
    """Scopes the user chose to continue past for the rest of this turn."""
    stopped: BudgetStatus | None = None

    @property
    def cost_usd(self) -> float:
        return self.budget.cost_usd


@dataclass
class BudgetKeeper:
    """One agent's budgets: the limits (raised by `set_budget`), what was already warned about,
    and the budget question waiting for an answer."""

    limits: BudgetLimits
    reports: UsageReports
    session_id: str
    _warned: set[tuple[BudgetScope, str, float, bool]] = field(default_factory=set)
    _pending: tuple[str, BudgetStatus] | None = None

    async def statuses(self, turn: TurnSpend, now: datetime | None = None) -> list[BudgetStatus]:
        """The spend against each budget that is set."""
        found: list[BudgetStatus] = []
        for scope in SCOPES:
            limit = self.limits.get(scope)
            if limit is None:
                continue
            if scope == "turn":
                spent = turn.cost_usd
            elif scope == "session":
                spent = await self.reports.spent(session_id=self.session_id)
            else:
                spent = await self.reports.spent(since=start_of_day(now))
            found.append(BudgetStatus(scope, limit, spent))
        return found

    async def warn(self, turn: TurnSpend, publish: Publish) -> list[BudgetStatus]:
        """Publish a warning for each budget newly past 80%; returns the ones past 100%."""
        if not self.limits.any:
            return []
        statuses = await self.statuses(turn)
        events: list[Event] = []
        for status in statuses:
            if status.fraction < WARN_AT:
                continue
            exceeded = status.fraction >= 1
            key = (status.scope, self._period(status.scope, turn), status.limit_usd, exceeded)
            if key in self._warned:
                continue
            self._warned.update({key, (*key[:3], False)})
            events.append(
                BudgetWarning(
                    turn_id=turn.turn_id,
                    scope=status.scope,
                    limit_usd=status.limit_usd,
                    spent_usd=round(status.spent_usd, 8),
                    exceeded=exceeded,
                )
            )
        if events:
            await publish(*events)
        return [s for s in statuses if s.fraction >= 1 and s.scope not in turn.allowed]

    def _period(self, scope: BudgetScope, turn: TurnSpend) -> str:
        if scope == "turn":
            return turn.turn_id
        return start_of_day().date().isoformat() if scope == "day" else self.session_id

    async def check(
        self, turn: TurnSpend, approvals: ApprovalBroker, publish: Publish
    ) -> BudgetStatus | None:
        """Warn, then ask about every exhausted budget; the one the user stopped at, or None."""
        for status in await self.warn(turn, publish):
            if status.scope in turn.allowed:
                continue
            if not await self._ask(turn, status, approvals):
                turn.stopped = status
                return status
            if self.limits.get(status.scope) == status.limit_usd:
                turn.allowed.add(status.scope)  # "continue", not "raise": stop asking this turn
        return None

    async def _ask(self, turn: TurnSpend, status: BudgetStatus, approvals: ApprovalBroker) -> bool:
        call_id = f"budget-{uuid.uuid4().hex[:12]}"
        self._pending = (call_id, status)
        try:
            answer = await approvals.ask(
                ApprovalRequested(
                    turn_id=turn.turn_id,
                    call_id=call_id,
                    kind="budget",
                    title=(
                        f"The {status.scope} budget of ${status.limit_usd:.2f} is spent "
                        f"(${status.spent_usd:.4f}). Continue, raise the budget, or stop?"
                    ),
                    detail=f"Approve continues this turn; deny stops it. "
                    f"Raising sets {SETTING_KEYS[status.scope]} for this session.",
                    reason="budget",
                )
            )
        finally:
            self._pending = None
        return answer.approved

    def set_limit(
        self, scope: BudgetScope, usd: float | None, approvals: ApprovalBroker
    ) -> BudgetLimits:
        """Raise (or lower, or remove) one budget; answers a waiting question for that scope
        with "continue" when the new limit is above the spend."""
        values = {s: self.limits.get(s) for s in SCOPES}
        values[scope] = usd
        self.limits = BudgetLimits(values["session"], values["day"], values["turn"])
        if self._pending is not None:
            call_id, status = self._pending
            if status.scope == scope and (usd is None or usd > status.spent_usd):
                limit = "removed" if usd is None else f"raised to ${usd:.2f}"
                approvals.answer(call_id, ApprovalAnswer(True, comment=f"budget {limit}"))
        return self.limits


@dataclass
class BudgetGate:
    """The budget checks of one top-level turn (see the module docstring). `check` runs before
    every model call of the turn and of its subagents; checks wait for each other, so while the
    question is open every other caller waits for its answer instead of asking again."""

    keeper: BudgetKeeper
    spend: TurnSpend
    approvals: ApprovalBroker
    publish: Publish
    active: bool = True
    """False once the top-level turn is over: a subagent reopened later has budgets of its own."""
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _stoppers: dict[int, Callable[[], None]] = field(default_factory=dict)

    async def check(self) -> BudgetStatus | None:
        """The budget the user stopped at (now or earlier in this turn), or None to go on."""
        async with self._lock:
            if self.spend.stopped is not None:
                return self.spend.stopped
            stopped = await self.keeper.check(self.spend, self.approvals, self.publish)
        if stopped is not None:
            for stop in list(self._stoppers.values()):
                stop()
        return stopped

    async def warn(self) -> None:
        """Publish the 80% and 100% warnings that are due (in the top-level session)."""
        await self.keeper.warn(self.spend, self.publish)

    def on_stop(self, key: int, stop: Callable[[], None]) -> None:
        """Call `stop` (a running subagent's cancel) when the user stops the run."""
        self._stoppers[key] = stop

    def forget(self, key: int) -> None:
        self._stoppers.pop(key, None)
