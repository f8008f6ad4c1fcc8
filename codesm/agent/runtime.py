"""The running core for one workspace: store, hub, models, settings, and an agent per session.

Every face (web, TUI, headless) opens one `Runtime` and asks it for agents; this is the one place
that turns settings, environment and stored credentials into configured objects.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codesm.agent.agent import Agent, AgentDeps
from codesm.agent.budgets import BudgetLimits
from codesm.agent.changes.apply import ChangeApplier
from codesm.agent.changes.formatting import Formatter
from codesm.agent.changes.recovery import recover_changes
from codesm.agent.changes.snapshot import WorkspaceSnapshot
from codesm.agent.context_usage import prompt_sections
from codesm.agent.extensions import Extensions
from codesm.agent.guard import TurnLimits
from codesm.agent.hub import SessionHub
from codesm.agent.instructions import InstructionFile, find_instructions
from codesm.agent.messages import ToolSpec
from codesm.agent.permissions.answers import ProjectAnswers
from codesm.agent.permissions.audit import JsonlAuditSink
from codesm.agent.permissions.engine import Mode, PermissionEngine
from codesm.agent.permissions.rules import RuleSet, rules_from_settings
from codesm.agent.providers.base import Provider
from codesm.agent.providers.factory import create_provider
from codesm.agent.providers.pricing import ModelPrice
from codesm.agent.providers.registry import (
    BUILTIN_MODELS,
    DEFAULT_MODELS,
    PROVIDER_ENV,
    ModelRegistry,
    ProviderConfig,
    ProviderName,
    ResolvedModel,
    local_models,
    providers_from_env,
)
from codesm.agent.recovery import recover_sessions
from codesm.agent.subagents.runner import SubagentRunner
from codesm.agent.subagents.tools import subagent_tools
from codesm.agent.subagents.types import SubagentType
from codesm.agent.system_prompt import build_system_prompt, git_status_summary
from codesm.agent.tools.base import Tool
from codesm.agent.tools.live_registry import prompt_per_tool_set
from codesm.agent.tools.selection import live_session_registry
from codesm.agent.tools.todo_store import SessionTodoStore
from codesm.config.credentials import environment_with_credentials
from codesm.config.settings import (
    Settings,
    global_settings_path,
    load_settings,
    read_settings_file,
    workspace_settings_path,
)
from codesm.notify import Notifier, TurnAlerts
from codesm.paths import audit_log_path
from codesm.store import SessionRecord, Store
from codesm.store.sessions import Visibility
from codesm.toolbox import toolbox_tools

log = logging.getLogger(__name__)


def build_model_registry(settings: Settings, env: Mapping[str, str]) -> ModelRegistry:
    """Providers from the standard variables (and stored keys), then settings' base URLs."""
    providers: dict[ProviderName, ProviderConfig] = dict(providers_from_env(env))
    for name, extra in settings.providers.items():
        if name not in PROVIDER_ENV:
            log.warning("unknown provider %r in codesm.providers (ignored)", name)
            continue
        provider: ProviderName = name
        key = env.get(extra.api_key_env) if extra.api_key_env else None
        current = providers.get(provider)
        if current is not None:
            providers[provider] = ProviderConfig(
                provider,
                api_key=key or current.api_key,
                base_url=extra.base_url or current.base_url,
            )
        elif extra.base_url:
            providers[provider] = ProviderConfig(provider, api_key=key, base_url=extra.base_url)
    prices = {
        model: ModelPrice(p.input, p.output, p.cache_read, p.cache_write)
        for model, p in settings.pricing.items()
    }
    extra_models, local_defaults = local_models(providers, env)
    return ModelRegistry(
        providers,
        models=[*BUILTIN_MODELS, *extra_models],
        defaults={**DEFAULT_MODELS, **local_defaults},
        prices=prices,
    )


def permission_rule_sets(workspace: Path, settings_file: Path | None) -> list[RuleSet]:
    """The user's rules are trusted; a project's own file may deny or ask but never allow (a
    cloned repository must not be able to approve commands for itself)."""
    user_specs = read_settings_file(global_settings_path()).get("codesm.permissions", [])
    sets = [rules_from_settings(user_specs, source="user")]
    if settings_file is not None:
        explicit = read_settings_file(settings_file).get("codesm.permissions", [])
        sets.append(rules_from_settings(explicit, source="user"))
    project = read_settings_file(workspace_settings_path(workspace)).get("codesm.permissions", [])
    sets.append(rules_from_settings(project, source="project", trusted=False))
    sets.append(ProjectAnswers(workspace).rule_set())
    return sets


@dataclass
class Runtime:
    workspace: Path
    settings: Settings
    store: Store
    hub: SessionHub
    models: ModelRegistry
    project_id: str
    permission_mode: Mode
    settings_file: Path | None = None
    interactive: bool = True
    agents: dict[str, Agent] = field(default_factory=dict)
    permission_mode_explicit: bool = False
    extensions: Extensions | None = None
    env: Mapping[str, str] | None = None
    """The environment providers are configured from (None: the process's own)."""
    visibility: Visibility = "private"
    """`--visibility`: stored with each new session (who may open its shared links)."""
    notifications: bool | None = None
    """`--notifications/--no-notifications` (None: `codesm.notifications.enabled`)."""
    applier: ChangeApplier = field(init=False)
    subagents: SubagentRunner = field(init=False)

    def __post_init__(self) -> None:
        # One applier per workspace: its lock serializes every session's writes to the files.
        formatter = Formatter(root=self.workspace) if self.settings.format_on_save else None
        self.applier = ChangeApplier.for_store(self.store, formatter=formatter)
        self.subagents = SubagentRunner(
            self.workspace,
            project_id=self.project_id,
            interactive=self.interactive,
            system_prompt=self._subagent_prompt,
            agents=self.agents,
        )
        self._subagent_prompts: dict[tuple[str, ...], str] = {}
        # One policy for calling the user back, whichever face runs (see codesm.notify).
        self.alerts = TurnAlerts(
            Notifier.from_settings(self.settings, self.notifications), in_thread=True
        )
        self._top_level: set[str] = set()
        self.hub.observe(
            lambda sid, stored: self.alerts.observe(
                sid, stored.event, top_level=sid in self._top_level
            )
        )

    def instruction_files(self) -> list[InstructionFile]:
        """The AGENTS.md / CLAUDE.md files in effect for this workspace, in prompt order (the
        UIs show them; a new agent reads them again, so edits apply to the next session)."""
        return find_instructions(self.workspace)

    def _subagent_prompt(self, kind: SubagentType, specs: Sequence[ToolSpec]) -> str:
        key = (kind.name, *(spec.name for spec in specs))
        if key not in self._subagent_prompts:
            instructions = find_instructions(self.workspace)
            general = build_system_prompt(
                workspace=self.workspace, tools=specs, instructions=instructions
            )
            self._subagent_prompts[key] = f"{kind.system_prompt()}\n\n{general}"
        return self._subagent_prompts[key]

    @classmethod
    async def open(
        cls,
        workspace: Path,
        *,
        settings_file: Path | None = None,
        permission_mode: Mode | None = None,
        interactive: bool = True,
        db_path: Path | None = None,
        env: Mapping[str, str] | None = None,
        mcp_config: str | None = None,
        strict_mcp_config: bool = False,
        visibility: Visibility | None = None,
        max_budget_usd: float | None = None,
        notifications: bool | None = None,
    ) -> Runtime:
        """Open the store (repairing sessions a crash left unfinished) and load the settings.
        `max_budget_usd` (`--max-budget-usd`) replaces `codesm.budget.session` for this launch."""
        workspace = await asyncio.to_thread(workspace.resolve)
        loaded = load_settings(workspace, settings_file=settings_file)
        settings = loaded.settings
        if max_budget_usd is not None:
            settings = settings.model_copy(update={"budget_session_usd": max_budget_usd})
        models = build_model_registry(settings, environment_with_credentials(env))
        store = await Store.open(db_path)
        try:
            recovered = await recover_sessions(store)
            for item in recovered:
                log.warning("recovered session %s after an unclean stop", item.session_id)
            for change in await recover_changes(store):
                log.warning("rolled change %s back to %s after an unclean stop",
                            change.change_id, change.now)  # fmt: skip
            project = await store.projects.ensure(workspace)
            extensions = await Extensions.open(workspace, settings, mcp_config=mcp_config,
                                               strict_mcp_config=strict_mcp_config,
                                               settings_file=settings_file, env=env)  # fmt: skip
        except BaseException:
            await store.close()
            raise
        mode: Mode = permission_mode or (
            "allow-all" if settings.dangerously_allow_all else settings.permission_mode
        )
        return cls(workspace, settings, store, SessionHub(store), models, project.id, mode,
                   settings_file, interactive, extensions=extensions,
                   permission_mode_explicit=permission_mode is not None, env=env,
                   visibility=visibility or "private",
                   notifications=notifications)  # fmt: skip

    def reload_providers(self) -> None:
        """Configure providers again from the environment and the credentials file, after a key
        was stored or removed while this runtime runs (the browser's connect dialog)."""
        fresh = build_model_registry(self.settings, environment_with_credentials(self.env))
        self.models.update_from(fresh)

    async def aclose(self) -> None:
        await asyncio.gather(*(agent.aclose() for agent in self.agents.values()))
        self.agents.clear()
        await self.alerts.drain()
        if self.extensions is not None:
            await self.extensions.aclose()
        await self.hub.aclose()
        await self.store.close()

    async def new_session(
        self, *, mode: str | None = None, model: str | None = None, labels: tuple[str, ...] = ()
    ) -> SessionRecord:
        return await self.store.sessions.create(
            project_id=self.project_id,
            mode=(mode or self.settings.mode),  # type: ignore[arg-type]
            permission_mode=self.permission_mode,
            model=model or self.settings.model,
            labels=labels,
            visibility=self.visibility,
        )

    async def latest_session(self) -> SessionRecord | None:
        sessions = await self.store.sessions.list_recent(project_id=self.project_id, limit=1)
        return sessions[0] if sessions else None

    async def agent(self, session: SessionRecord) -> Agent:
        """The agent for a session, created on first use with the session's mode and model."""
        existing = self.agents.get(session.id)
        if existing is not None:
            return existing
        toolbox = await asyncio.to_thread(toolbox_tools, self.settings)
        extensions = self.extensions
        # MCP tools follow their servers: one approved, restarted or logged in while this
        # session is open is offered from its next model step (see LiveToolRegistry).
        mcp = await extensions.live_mcp_tools() if extensions is not None else _no_tools
        skills = extensions.skill_tools() if extensions is not None else []
        host = self.subagents.host(session.id)
        tools = live_session_registry(
            self.settings, before=toolbox, live=mcp, after=[*skills, *subagent_tools(host)]
        )
        permissions = PermissionEngine(
            permission_rule_sets(self.workspace, self.settings_file),
            # A mode given for this run (--permission-mode) wins; else the session keeps its own.
            mode=self.permission_mode if self.permission_mode_explicit else session.permission_mode,
            workspace_root=self.workspace,
            audit=JsonlAuditSink(audit_log_path()),
        )
        instructions = find_instructions(self.workspace)
        git_status: list[str] = []

        def system_prompt(specs: Sequence[ToolSpec]) -> str:
            if not git_status:
                git_status.append(git_status_summary(self.workspace))
            prompt = build_system_prompt(
                workspace=self.workspace,
                tools=specs,
                instructions=instructions,
                git_status=git_status[0],
            )
            section = extensions.prompt_section() if extensions is not None else ""
            return f"{prompt}\n\n{section}" if section else prompt

        deps = AgentDeps(
            store=self.store,
            hub=self.hub,
            models=self.models,
            provider_factory=self.create_provider,
            tools=tools,
            permissions=permissions,
            system_prompt=prompt_per_tool_set(tools, system_prompt),
            title_with_model=self.interactive,
            applier=self.applier,
            snapshots=WorkspaceSnapshot(self.workspace),
            limits=TurnLimits(
                max_steps=self.settings.max_steps_per_turn,
                max_seconds=self.settings.max_turn_seconds,
                max_cost_usd=self.settings.max_turn_cost_usd,
            ),
            budgets=BudgetLimits(
                session_usd=self.settings.budget_session_usd,
                day_usd=self.settings.budget_day_usd,
                turn_usd=self.settings.budget_turn_usd,
            ),
            prompt_sections=prompt_sections(
                instructions,
                extensions.prompt_section() if extensions is not None else "",
                workspace=self.workspace,
                home=Path.home(),
            ),
            todos=SessionTodoStore(self.store),
            project_answers=ProjectAnswers(self.workspace),
        )
        if session.subagent_type is not None:
            return await self.subagents.reopen(session, deps)  # registers itself in self.agents
        agent = Agent(deps, session_id=session.id, root=self.workspace, mode=session.mode,
                      model=session.model, interactive=self.interactive)  # fmt: skip
        host.agent = agent
        self._top_level.add(session.id)
        self.agents[session.id] = agent
        return agent

    def create_provider(self, resolved: ResolvedModel) -> Provider:
        return create_provider(
            resolved.provider, idle_timeout_s=self.settings.network_timeout_s * 2
        )


_NO_TOOLS: Sequence[Tool[Any]] = ()


def _no_tools() -> Sequence[Tool[Any]]:
    return _NO_TOOLS  # always the same object: a live tool source that never changes
