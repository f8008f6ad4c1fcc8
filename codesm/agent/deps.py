"""What an `Agent` needs from the outside world, injected by whoever builds it (the runtime, a
subagent runner, a test harness)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from codesm.agent.budgets import BudgetLimits
from codesm.agent.changes.apply import ChangeApplier
from codesm.agent.changes.snapshot import WorkspaceSnapshot
from codesm.agent.context_usage import PromptSection
from codesm.agent.guard import TurnLimits
from codesm.agent.hub import SessionHub
from codesm.agent.permissions.answers import ProjectAnswers
from codesm.agent.permissions.engine import PermissionEngine
from codesm.agent.providers.base import Provider
from codesm.agent.providers.registry import ModelRegistry, ResolvedModel
from codesm.agent.tools.registry import ToolRegistry
from codesm.agent.tools.todo_store import InMemoryTodoStore, TodoStore
from codesm.store import Store


@dataclass
class AgentDeps:
    """What an agent needs from the outside world, injected."""

    store: Store
    hub: SessionHub
    models: ModelRegistry
    provider_factory: Callable[[ResolvedModel], Provider]
    tools: ToolRegistry
    permissions: PermissionEngine
    system_prompt: Callable[[], str]
    limits: TurnLimits = field(default_factory=TurnLimits)
    todos: TodoStore = field(default_factory=InMemoryTodoStore)
    title_with_model: bool = False
    """Ask the rush model for a session title in the background (else the heuristic only)."""
    applier: ChangeApplier | None = None
    """Applies and journals edits (default: one on `store` without format-on-save)."""
    snapshots: WorkspaceSnapshot | None = None
    """Snapshots around shell commands (None: bash changes cannot be undone)."""
    project_answers: ProjectAnswers | None = None
    budgets: BudgetLimits = field(default_factory=BudgetLimits)
    prompt_sections: tuple[PromptSection, ...] = ()
    """The instruction files and the skills list inside the system prompt, named (so the
    context breakdown can show each)."""
