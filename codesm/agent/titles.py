"""Session titles: a cheap model call in the background, with a heuristic that never fails.

The title call's tokens are published as a `usage` event (agent "title") of the turn that asked
for it, priced like any other call, so totals, the dashboard and budgets count them."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable

from codesm.agent.messages import Message, ProviderRequest, TextDelta, TextPart, UsageReport
from codesm.agent.model_step import usage_event
from codesm.agent.providers.base import Provider
from codesm.agent.providers.registry import ResolvedModel
from codesm.errors import CodesmError

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
