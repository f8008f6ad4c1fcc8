"""Session titles: a cheap model call in the background, with a heuristic that never fails.

The title call's tokens are published as a `usage` event (agent "title") of the turn that asked
for it, priced like any other call, so totals, the dashboard and budgets count them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from codesm.agent.events import Event, StoredEvent, Title, Usage
from codesm.agent.guard import TurnBudget
from codesm.agent.messages import Message, ProviderRequest, TextDelta, TextPart, UsageReport
from codesm.agent.model_step import usage_event
from codesm.agent.provider_pool import ProviderPool
from codesm.agent.providers.base import Provider
from codesm.agent.providers.registry import ResolvedModel
from codesm.errors import CodesmError

if TYPE_CHECKING:
    from codesm.agent.deps import AgentDeps

log = logging.getLogger(__name__)

MAX_TITLE = 60
TITLE_PROMPT = (
    "Write a title of 3 to 7 words for a coding session that starts with the request below. "
    "Answer with the title only, no quotes, no punctuation at the end.\n\n"
)
TITLE_AGENT = "title"

Publish = Callable[..., Awaitable[object]]


def heuristic_title(prompt: str) -> str:
    """The first line of the prompt, whitespace collapsed, cut at a word near 60 characters."""
    first = next((line for line in prompt.splitlines() if line.strip()), "").strip()
    text = re.sub(r"\s+", " ", first)
    if len(text) <= MAX_TITLE:
        return text or "New session"
    cut = text[:MAX_TITLE].rsplit(" ", 1)[0]
    return (cut or text[:MAX_TITLE]) + "…"


def clean_title(raw: str) -> str:
    title = re.sub(r"\s+", " ", raw.strip().strip("\"'`*#").strip())
    return title[:MAX_TITLE].rstrip(" .")


async def generate_title(
    provider: Provider,
    model: str,
    prompt: str,
    *,
    timeout_s: float = 15.0,
    usages: list[UsageReport] | None = None,
) -> str:
    """Ask a (cheap) model for a title; the heuristic title when it fails or says nothing. The
    call's usage reports are appended to `usages`."""
    request = ProviderRequest(
        model=model,
        system="You write short, specific titles.",
        messages=[Message(role="user", parts=[TextPart(text=TITLE_PROMPT + prompt[:4000])])],
        max_tokens=40,
    )

    async def ask() -> str:
        text: list[str] = []
        async for item in provider.stream(request):
            if isinstance(item, TextDelta):
                text.append(item.text)
            elif isinstance(item, UsageReport) and usages is not None:
                usages.append(item)
        return "".join(text)

    try:
        title = clean_title(await asyncio.wait_for(ask(), timeout_s))
    except (CodesmError, TimeoutError):
        title = ""
    return title or heuristic_title(prompt)


async def title_in_background(
    provider: Provider,
    resolved: ResolvedModel,
    prompt: str,
    save: Callable[[str], Awaitable[None]],
    publish: Publish | None = None,
    turn_id: str = "",
) -> None:
    """Generate a title with a model and save it; failures only mean the heuristic title stays.
    With `publish`, the call's usage is published as turn `turn_id`'s."""
    usages: list[UsageReport] = []
    title = await generate_title(provider, resolved.info.id, prompt, usages=usages)
    try:
        if publish is not None and usages:
            await publish(
                *(usage_event(u, resolved, turn_id=turn_id, agent=TITLE_AGENT) for u in usages)
            )
        await save(title)
    except CodesmError as exc:
        log.info("no model title: %s", exc)


class SessionTitler:
    """Titles one agent's session after a turn while it has none: the heuristic at once, a
    model's in the background when `deps.title_with_model` (read at each turn's end)."""

    def __init__(
        self,
        deps: AgentDeps,
        session_id: str,
        providers: ProviderPool,
        publish: Callable[..., Awaitable[list[StoredEvent]]],
        live_turn: Callable[[], tuple[str, TurnBudget] | None],
    ) -> None:
        self._deps = deps
        self._session_id = session_id
        self._providers = providers
        self._publish = publish
        self._live_turn = live_turn
        self.task: asyncio.Task[None] | None = None
        """The model's title call, once started (one per agent)."""

    async def after_turn(self, prompt: str, turn_id: str, budget: TurnBudget) -> None:
        """Give an untitled session a title: the heuristic now, a model's in the background."""
        session = await self._deps.store.sessions.get(self._session_id)
        if session is None or session.title:
            return
        await self._save(heuristic_title(prompt))
        if self._deps.title_with_model and self.task is None:
            try:
                resolved = self._deps.models.resolve(None, "rush")
            except CodesmError:
                return
            provider = self._providers.get(resolved)

            async def publish(*events: Event) -> list[StoredEvent]:
                return await self._publish(*self._charge(events, turn_id, budget))

            self.task = asyncio.create_task(
                title_in_background(provider, resolved, prompt, self._save, publish, turn_id)
            )

    def _charge(self, events: Sequence[Event], turn_id: str, budget: TurnBudget) -> list[Event]:
        """The title call's usage belongs to the turn running when it arrives (the title is
        written in the background, often while the next turn runs), else to the turn that asked
        for it: charged to that turn's budget and stored under its id, so turn, session and day
        budgets all count it."""
        live = self._live_turn()
        if live is not None:
            turn_id, budget = live
        charged: list[Event] = []
        for event in events:
            if isinstance(event, Usage):
                budget.charge(event.cost_usd)
                event = event.model_copy(update={"turn_id": turn_id})
            charged.append(event)
        return charged

    async def _save(self, title: str) -> None:
        await self._deps.store.sessions.update(self._session_id, title=title)
        await self._publish(Title(title=title))

    async def aclose(self) -> None:
        """Stop a title call still running."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
