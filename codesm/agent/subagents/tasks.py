"""What a subagent task is, what became of it, and who started it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from codesm.agent.agent import AgentDeps
from codesm.agent.approvals import ApprovalBroker
from codesm.agent.guard import TurnBudget
from codesm.agent.providers.registry import AgentMode
from codesm.agent.titles import heuristic_title

TaskStatus = Literal["pending", "running", "completed", "failed", "cancelled"]


@dataclass(frozen=True)
class TaskSpec:
    """One subagent task as the model (or a program) asks for it."""

    subagent_type: str
    prompt: str
    description: str = ""
    model: str | None = None


@dataclass
class TaskResult:
    """What became of one task: status, timing, cost and the full result text."""

    index: int
    spec: TaskSpec
    status: TaskStatus = "pending"
    subagent_type: str = ""
    session_id: str | None = None
    model: str | None = None
    text: str = ""
    error: str | None = None
    cost_usd: float = 0.0
    duration_s: float = 0.0
    steps: int = 0
    route_reason: str | None = None

    @property
    def description(self) -> str:
        return self.spec.description or heuristic_title(self.spec.prompt)

    @property
    def ok(self) -> bool:
        return self.status == "completed"


@dataclass
class ParentRef:
    """The session (and tool call) that starts subagents."""

    session_id: str
    deps: AgentDeps
    """The parent agent's dependencies: the template of its subagents'."""
    turn_id: str = ""
    call_id: str = ""
    depth: int = 0
    mode: AgentMode = "smart"
    model: str | None = None
    approvals: ApprovalBroker | None = None
    budget: TurnBudget | None = None
    interactive: bool = True
