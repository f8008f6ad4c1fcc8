"""Session titles: a cheap model call in the background, with a heuristic that never fails."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable

from codesm.agent.messages import Message, ProviderRequest, TextDelta, TextPart
from codesm.agent.providers.base import Provider
from codesm.errors import CodesmError

log = logging.getLogger(__name__)

MAX_TITLE = 60
TITLE_PROMPT = (
    "Write a title of 3 to 7 words for a coding session that starts with the request below. "
    "Answer with the title only, no quotes, no punctuation at the end.\n\n"
)


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
    provider: Provider, model: str, prompt: str, *, timeout_s: float = 15.0
) -> str:
    """Ask a (cheap) model for a title; the heuristic title when it fails or says nothing."""
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
        return "".join(text)

    try:
        title = clean_title(await asyncio.wait_for(ask(), timeout_s))
    except (CodesmError, TimeoutError):
        title = ""
    return title or heuristic_title(prompt)


async def title_in_background(
    provider: Provider, model: str, prompt: str, save: Callable[[str], Awaitable[None]]
) -> None:
    """Generate a title with a model and save it; failures only mean the heuristic title stays."""
    try:
        await save(await generate_title(provider, model, prompt))
    except CodesmError as exc:
        log.info("no model title: %s", exc)
