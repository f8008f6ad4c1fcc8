"""The subagent types: their system prompts, tool allowlists, step limits and model choice.

A type never names a hard-coded model: `choose_model` maps its preference (the session's model,
the rush default, or the strongest configured model) through the one `ModelRegistry`, falling back
to the session's model when the preference cannot be served by a configured provider.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from codesm.agent.providers.registry import AgentMode, ModelRegistry, ResolvedModel
from codesm.errors import ConfigError, ModelUnavailableError

ModelChoice = Literal["session", "rush", "strongest"]

READ_TOOLS = frozenset({"read", "glob", "grep", "ls", "todo_write", "todo_read", "batch"})
EDIT_TOOLS = frozenset({"write", "edit", "multiedit", "patch"})
WEB_TOOLS = frozenset({"webfetch", "websearch"})
SUBAGENT_TOOL_NAMES = frozenset({"task", "parallel_tasks", "orchestrate", "pipeline"})

STRONGEST_MODELS: tuple[str, ...] = (
    "claude-opus-5-5",
    "gpt-5.5",
    "gemini-2.5-pro",
    "gpt-5",
    "claude-sonnet-5-5",
    "qwen3-coder:30b",
)
"""Candidates for `oracle`, strongest first; the first one a configured provider serves wins."""

_COMMON = (
    "You are a subagent of codesm, started by another agent for one task. Work on your own: "
    "nobody will answer questions. When you are done, reply with a complete, self-contained "
    "report of what you found or did (files, line numbers, decisions); the agent that started "
    "you reads only that final reply."
)


@dataclass(frozen=True)
class SubagentType:
    """One kind of subagent."""

    name: str
    summary: str
    """One line for the model choosing a type (and for the router)."""
    prompt: str
    tools: frozenset[str]
    """The tools it may use (subagent tools are added separately, below the depth limit)."""
    max_steps: int
    model: ModelChoice = "session"
    read_only: bool = False
    """No edits at all, and only allowlisted read-only shell commands, whatever the mode."""
    can_delegate: bool = False
    """Gets `task`/`parallel_tasks`/... itself while the nesting depth allows it."""

    def system_prompt(self) -> str:
        return f"{_COMMON}\n\n{self.prompt}"


def _type(
    name: str, summary: str, prompt: str, tools: frozenset[str], **kw: object
) -> SubagentType:
    return SubagentType(name, summary, prompt, tools, **kw)  # type: ignore[arg-type]


SUBAGENT_TYPES: Mapping[str, SubagentType] = {
    t.name: t
    for t in (
        _type(
            "coder",
            "multi-file edits and features; its edits go through the same review as yours",
            "You are a coder. Make the requested change with the edit tools, in small steps, "
            "reading files before you change them; run quick checks with bash when useful.",
            READ_TOOLS | EDIT_TOOLS | {"bash"},
            max_steps=60,
            can_delegate=True,
        ),
        _type(
            "researcher",
            "code analysis, read-only: reads and searches, never edits",
            "You are a researcher. Read and search the code to answer the question precisely. "
            "You cannot change files; cite paths and line numbers.",
            READ_TOOLS | {"bash"},
            max_steps=40,
            read_only=True,
        ),
        _type(
            "reviewer",
            "bug detection and security review of code or a diff, read-only",
            "You are a reviewer. Look for bugs, security problems and risky changes; report "
            "each finding with its location, severity and a suggested fix. Do not edit.",
            READ_TOOLS | {"bash"},
            max_steps=40,
            read_only=True,
        ),
        _type(
            "planner",
            "implementation plans: reads the code, writes a step-by-step plan",
            "You are a planner. Read what you need, then write a concrete, ordered "
            "implementation plan: files to change, what to change, how to verify it.",
            READ_TOOLS,
            max_steps=30,
            read_only=True,
        ),
        _type(
            "finder",
            "fast code search: where is X, list the files that do Y (fast, cheap model)",
            "You are a finder. Locate what is asked with glob, grep and ls; answer with paths "
            "and line numbers, briefly. Do not explain the code at length.",
            frozenset({"glob", "grep", "ls", "read", "batch"}),
            max_steps=15,
            model="rush",
            read_only=True,
        ),
        _type(
            "oracle",
            "deep reasoning on hard problems: tricky bugs, architecture (strongest model)",
            "You are an oracle. Think the problem through carefully, check your reasoning "
            "against the code, and give a clear recommendation with its trade-offs.",
            READ_TOOLS,
            max_steps=30,
            model="strongest",
            read_only=True,
        ),
        _type(
            "librarian",
            "multi-repository and web research: library docs, upstream code, APIs",
            "You are a librarian. Research libraries, documentation and other repositories "
            "(web search and fetch) and report the relevant facts with their sources.",
            READ_TOOLS | WEB_TOOLS,
            max_steps=40,
            read_only=True,
        ),
    )
}
AUTO = "auto"
TYPE_NAMES: tuple[str, ...] = (*SUBAGENT_TYPES, AUTO)


def get_type(name: str) -> SubagentType:
    """The type called `name` (not `auto`: route that first)."""
    found = SUBAGENT_TYPES.get(name)
    if found is None:
        known = ", ".join(TYPE_NAMES)
        raise ConfigError(f"unknown subagent type {name!r}: use one of {known}")
    return found


def choose_model(
    kind: SubagentType,
    models: ModelRegistry,
    *,
    session_model: str | None,
    session_mode: AgentMode,
    override: str | None = None,
) -> tuple[str | None, AgentMode]:
    """The model name and mode a subagent of `kind` runs with, servable by `models`.

    `override` (a model the caller asked for) wins when it resolves; otherwise the type's
    preference; otherwise the session's own model and mode.
    """
    if override:
        try:
            models.resolve(override, session_mode)
            return override, session_mode
        except ModelUnavailableError:
            pass
    if kind.model == "rush":
        try:
            return _qualified(models.resolve(None, "rush")), "rush"
        except ModelUnavailableError:
            pass
    elif kind.model == "strongest":
        for candidate in STRONGEST_MODELS:
            try:
                return _qualified(models.resolve(candidate, "smart")), "smart"
            except ModelUnavailableError:
                continue
    return session_model, session_mode


def _qualified(resolved: ResolvedModel) -> str:
    """`provider/id`: resolves to the same provider again, whatever else is configured."""
    return f"{resolved.provider.name}/{resolved.info.id}"
