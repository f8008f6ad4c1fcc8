"""Builds a real `Agent` for tests: a real SQLite store in tmp, the hub, the built-in tools, the
permission engine, and a real provider adapter pointed at the scripted LLM server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from codesm.agent.agent import Agent, AgentDeps
from codesm.agent.changes.snapshot import WorkspaceSnapshot
from codesm.agent.events import StoredEvent
from codesm.agent.guard import TurnLimits
from codesm.agent.hub import SessionHub
from codesm.agent.permissions.engine import Mode, PermissionEngine
from codesm.agent.providers.base import Provider, RetryPolicy
from codesm.agent.providers.factory import create_provider
from codesm.agent.providers.registry import (
    ModelInfo,
    ModelRegistry,
    ProviderConfig,
    ProviderName,
    ResolvedModel,
)
from codesm.agent.tools.registry import AnyTool, create_registry
from codesm.store import Store
from tests.support.scripted_llm import ScriptedLLMServer


@dataclass
class Harness:
    agent: Agent
    store: Store
    hub: SessionHub
    session_id: str
    root: Path

    async def events(self) -> list[StoredEvent]:
        return await self.store.events_after(self.session_id, 0)

    async def types(self) -> list[str]:
        return [s.event.type for s in await self.events()]


def provider_config(kind: ProviderName, server: ScriptedLLMServer) -> ProviderConfig:
    if kind == "anthropic":
        return ProviderConfig("anthropic", api_key="sk-ant-test", base_url=server.base_url)
    if kind == "ollama":
        return ProviderConfig("ollama", base_url=server.base_url)
    if kind == "openrouter":
        return ProviderConfig(
            "openrouter", api_key="sk-or-test", base_url=server.openrouter_base_url
        )
    return ProviderConfig(kind, api_key="sk-test", base_url=server.openai_base_url)


@asynccontextmanager
async def agent_harness(
    tmp_path: Path,
    server: ScriptedLLMServer,
    *,
    provider: ProviderName = "anthropic",
    permission_mode: Mode = "auto-edit",
    interactive: bool = False,
    limits: TurnLimits | None = None,
    model: str | None = None,
    models: Sequence[ModelInfo] | None = None,
    extra_tools: Sequence[AnyTool] = (),
    snapshots: bool = False,
) -> AsyncIterator[Harness]:
    root = tmp_path / "workspace"
    root.mkdir(exist_ok=True)
    store = await Store.open(tmp_path / "codesm.db")
    hub = SessionHub(store)
    config = {provider: provider_config(provider, server)}
    registry = (
        ModelRegistry(
            config,
            models=models,
            defaults={provider: {"smart": models[0].id, "rush": models[0].id}},
        )
        if models
        else ModelRegistry(config)
    )

    def factory(resolved: ResolvedModel) -> Provider:
        return create_provider(
            resolved.provider, retry=RetryPolicy(initial_delay_s=0.01), idle_timeout_s=5.0
        )

    deps = AgentDeps(
        store=store,
        hub=hub,
        models=registry,
        provider_factory=factory,
        tools=create_registry(extra=extra_tools),
        permissions=PermissionEngine(mode=permission_mode, workspace_root=root),
        system_prompt=lambda: "You are a test agent.",
        limits=limits or TurnLimits(),
        snapshots=WorkspaceSnapshot(root) if snapshots else None,
    )
    session = await store.sessions.create()
    agent = Agent(deps, session_id=session.id, root=root, model=model, interactive=interactive)
    try:
        yield Harness(agent, store, hub, session.id, root)
    finally:
        await agent.aclose()
        await hub.aclose()
        await store.close()
