"""Subagent types, model choice, the `auto` router and the read-only permission view."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest

from codesm.agent.permissions.engine import PermissionEngine, ToolRequest
from codesm.agent.providers.factory import create_provider
from codesm.agent.providers.registry import ModelRegistry, ProviderConfig
from codesm.agent.subagents.guards import ReadOnlyPermissions
from codesm.agent.subagents.router import SubagentRouter, heuristic_route, parse_route
from codesm.agent.subagents.tools.params import SubagentTypeName
from codesm.agent.subagents.types import TYPE_NAMES, choose_model, get_type
from codesm.errors import ConfigError
from tests.support.agent_harness import provider_config
from tests.support.scripted_llm import Fault, ScriptedLLMServer, Turn


def test_the_tool_schema_offers_exactly_the_known_types() -> None:
    assert set(get_args(SubagentTypeName)) == set(TYPE_NAMES)


def test_an_unknown_type_is_an_error_that_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="researcher"):
        get_type("wizard")


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("Find all test files", "finder"),
        ("Review the auth module for security bugs", "reviewer"),
        ("Implement input validation in user.py", "coder"),
        ("Plan the migration to the new API", "planner"),
        ("Read the library documentation for httpx", "librarian"),
        ("Why does this deadlock happen?", "oracle"),
        ("Something vague", "researcher"),
    ],
)
def test_the_heuristic_router_picks_a_type_from_keywords(prompt: str, expected: str) -> None:
    assert heuristic_route(prompt).subagent_type == expected


def test_a_router_answer_must_name_a_known_type() -> None:
    assert parse_route('Sure: {"type": "coder", "reason": "edits"}') is not None
    assert parse_route('{"type": "wizard"}') is None
    assert parse_route("finder") is None


async def test_the_router_asks_the_model_once_per_task_and_falls_back_to_the_heuristic(
    scripted_llm: ScriptedLLMServer,
) -> None:
    models = ModelRegistry({"anthropic": provider_config("anthropic", scripted_llm)})
    router = SubagentRouter(models, lambda r: create_provider(r.provider))
    scripted_llm.script(
        Turn(text='{"type": "reviewer", "reason": "a review"}'), Fault("400", message="no")
    )
    first = await router.route("look over the diff")
    again = await router.route("look  over the diff")
    fallback = await router.route("find the config loader")
    assert (first.subagent_type, first.source) == ("reviewer", "model")
    assert (again.subagent_type, again.source) == ("reviewer", "cache")
    assert (fallback.subagent_type, fallback.source) == ("finder", "heuristic")
    assert len(scripted_llm.completion_requests()) == 2


def test_models_map_through_the_registry_to_configured_providers() -> None:
    ollama_only = ModelRegistry({"ollama": ProviderConfig("ollama", base_url="http://x")})
    both = ModelRegistry(
        {"anthropic": ProviderConfig("anthropic", api_key="k"), **ollama_only.providers}
    )

    def pick(kind: str, models: ModelRegistry) -> tuple[str | None, str]:
        return choose_model(get_type(kind), models, session_model="mine", session_mode="smart")

    assert pick("oracle", both) == ("anthropic/claude-opus-5-5", "smart")
    assert pick("oracle", ollama_only) == ("ollama/qwen3-coder:30b", "smart")
    assert pick("finder", ollama_only) == ("ollama/qwen3:8b", "rush")
    assert pick("coder", both) == ("mine", "smart")


def test_a_read_only_view_denies_edits_and_unlisted_commands_even_in_allow_all(
    tmp_path: Path,
) -> None:
    engine = ReadOnlyPermissions(PermissionEngine(mode="allow-all", workspace_root=tmp_path))
    edit = engine.decide(ToolRequest("write", paths=("a.txt",), actor="researcher"))
    listing = engine.decide(ToolRequest("bash", command="ls -la", actor="researcher"))
    removal = engine.decide(ToolRequest("bash", command="rm -rf src", actor="researcher"))
    reading = engine.decide(ToolRequest("read", paths=("a.txt",), actor="researcher"))
    assert [edit.action, listing.action, removal.action, reading.action] == [
        "deny",
        "allow",
        "deny",
        "allow",
    ]
    engine.mode = "review"
    assert engine.inner.mode == "review"
