"""The `auto` router: a cheap model picks the subagent type for a task, a heuristic when it cannot.

Decisions are cached by task text, so the same task is routed once. Each decision says why, and
where it came from (`model`, `heuristic` or `cache`); the reason is shown in the tool result and
the `subagent_started` event.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Literal

from codesm.agent.messages import Message, ProviderRequest, TextDelta, TextPart, UsageReport
from codesm.agent.providers.base import Provider
from codesm.agent.providers.registry import ModelRegistry, ResolvedModel
from codesm.agent.subagents.types import SUBAGENT_TYPES
from codesm.errors import CodesmError

log = logging.getLogger(__name__)

CACHE_SIZE = 256
ROUTER_TIMEOUT_S = 20.0

OnUsage = Callable[[UsageReport, ResolvedModel], Awaitable[None]]

_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("finder", ("find ", "where is", "where are", "locate", "list all", "list the files",
                "search for", "which file", "look for", "grep")),
    ("reviewer", ("review", "audit", "security", "vulnerab", "bugs in", "code smell")),
    ("planner", ("plan", "design a", "roadmap", "break down", "steps to", "strategy")),
    ("librarian", ("documentation", "docs for", "library", "package", "upstream", "github",
                   "website", "api reference", "changelog")),
    ("oracle", ("why does", "root cause", "prove", "trade-off", "tradeoff", "architecture",
                "subtle", "race condition", "deadlock")),
    ("coder", ("implement", "add ", "fix ", "refactor", "rename", "write ", "create ",
               "update ", "change ", "modify", "delete ", "remove ", "migrate")),
    ("researcher", ("analy", "explain", "understand", "how does", "what does", "investigate",
                    "summar")),
)  # fmt: skip


@dataclass(frozen=True)
class RouteDecision:
    subagent_type: str
    reason: str
    source: Literal["model", "heuristic", "cache"]


def heuristic_route(prompt: str) -> RouteDecision:
    """Keyword scores per type; ties go to the type listed first; `researcher` when none match
    (it is read-only, so a wrong guess cannot change anything)."""
    text = f" {prompt.lower()} "
    best, best_hits, best_words = "researcher", 0, []
    for name, words in _KEYWORDS:
        found = [w.strip() for w in words if w in text]
        if len(found) > best_hits:
            best, best_hits, best_words = name, len(found), found
    if not best_hits:
        return RouteDecision("researcher", "no clear signal: a read-only researcher", "heuristic")
    return RouteDecision(best, f"keywords: {', '.join(best_words[:4])}", "heuristic")


def _question(prompt: str) -> str:
    kinds = "\n".join(f"- {t.name}: {t.summary}" for t in SUBAGENT_TYPES.values())
    return (
        "Pick the kind of subagent best suited to the task below.\n"
        f"Kinds:\n{kinds}\n\nTask:\n{prompt[:4000]}\n\n"
        'Answer with JSON only: {"type": "<kind>", "reason": "<one short sentence>"}'
    )


def parse_route(text: str) -> RouteDecision | None:
    """The decision in a model's answer, or None when it names no known type."""
    match = re.search(r"\{.*\}", text, re.DOTALL)
    if match is None:
        return None
    try:
        data = json.loads(match.group(0))
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    kind = str(data.get("type", "")).strip().lower()
    if kind not in SUBAGENT_TYPES:
        return None
    reason = str(data.get("reason") or "chosen by the router model").strip()[:200]
    return RouteDecision(kind, reason, "model")


class SubagentRouter:
    """Routes `auto` tasks; one per runtime (its cache is shared by every session)."""

    def __init__(
        self,
        models: ModelRegistry,
        provider_factory: Callable[[ResolvedModel], Provider] | None,
        *,
        use_model: bool = True,
    ) -> None:
        self.models = models
        self.provider_factory = provider_factory
        self.use_model = use_model and provider_factory is not None
        self._cache: OrderedDict[str, RouteDecision] = OrderedDict()

    async def route(
        self, prompt: str, *, cancel: asyncio.Event | None = None, on_usage: OnUsage | None = None
    ) -> RouteDecision:
        key = " ".join(prompt.split())
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return replace(cached, source="cache")
        decision = await self._ask_model(prompt, cancel, on_usage) if self.use_model else None
        decision = decision or heuristic_route(prompt)
        self._cache[key] = decision
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return decision

    async def _ask_model(
        self, prompt: str, cancel: asyncio.Event | None, on_usage: OnUsage | None
    ) -> RouteDecision | None:
        assert self.provider_factory is not None
        try:
            resolved = self.models.resolve(None, "rush")
        except CodesmError:
            return None
        provider = self.provider_factory(resolved)
        request = ProviderRequest(
            model=resolved.info.id,
            system="You route coding tasks to specialised subagents. Answer with JSON only.",
            messages=[Message(role="user", parts=[TextPart(text=_question(prompt))])],
            max_tokens=120,
        )

        async def ask() -> str:
            text: list[str] = []
            async for item in provider.stream(request, cancel=cancel):
                if isinstance(item, TextDelta):
                    text.append(item.text)
                elif isinstance(item, UsageReport) and on_usage is not None:
                    await on_usage(item, resolved)
            return "".join(text)

        try:
            answer = await asyncio.wait_for(ask(), ROUTER_TIMEOUT_S)
        except (CodesmError, TimeoutError) as exc:
            log.info("router model failed, using the heuristic: %s", exc)
            return None
        finally:
            close = getattr(provider, "aclose", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    await close()
        return parse_route(answer)
