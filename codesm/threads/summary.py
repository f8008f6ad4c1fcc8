"""`codesm threads handoff`: a cheap model's summary of the old thread for the new thread's draft.

The rush model of the configured providers reads the old thread's transcript (the Markdown export,
secrets redacted, cut to a size a cheap model takes) and writes its goal, decisions, relevant files
and where it stopped. Without a configured provider, offline, or when the call fails, there is no
summary and the caller keeps the heuristic draft; `note` says why. Nothing here raises for that.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from codesm.agent.events import StoredEvent
from codesm.agent.messages import Message, ProviderRequest, TextDelta, TextPart, UsageReport
from codesm.agent.providers.factory import create_provider
from codesm.agent.providers.registry import ResolvedModel
from codesm.agent.runtime import build_model_registry
from codesm.config.credentials import environment_with_credentials
from codesm.config.settings import Settings
from codesm.errors import CodesmError
from codesm.store import SessionRecord, Store

HANDOFF_AGENT = "handoff"
MAX_TRANSCRIPT_CHARS = 60_000
_HEAD_CHARS = 8_000  # the start holds the goal; the rest of the budget goes to the latest work
SUMMARY_SYSTEM = "You summarise coding sessions so that someone else can continue them."
SUMMARY_PROMPT = (
    "A new session will continue the coding session whose transcript follows. Summarise it for "
    "the new session under these headings: Goal, Decisions (what was decided or ruled out, and "
    "why), Relevant files (paths, with what matters in each), Where it stopped (what is done, "
    "what is next). Be specific: names, paths, commands. At most 300 words. Answer with the "
    "summary only.\n\n"
)


@dataclass
class HandoffSummary:
    text: str | None = None
    """The model's summary; None when the heuristic draft must do."""
    note: str | None = None
    """Why there is no summary, for the user."""
    resolved: ResolvedModel | None = None
    usages: list[UsageReport] = field(default_factory=list)


def cut_transcript(text: str, limit: int = MAX_TRANSCRIPT_CHARS) -> str:
    if len(text) <= limit:
        return text
    tail = limit - _HEAD_CHARS
    gap = "\n\n[... the middle of the transcript is left out ...]\n\n"
    return f"{text[:_HEAD_CHARS]}{gap}{text[-tail:]}"


def request_for(transcript: str, goal: str | None, model: str) -> ProviderRequest:
    focus = f"The new session's goal: {goal.strip()}\n\n" if goal and goal.strip() else ""
    text = f"{SUMMARY_PROMPT}{focus}<transcript>\n{cut_transcript(transcript)}\n</transcript>"
    return ProviderRequest(
        model=model,
        system=SUMMARY_SYSTEM,
        messages=[Message(role="user", parts=[TextPart(text=text)])],
        max_tokens=1024,
    )


async def summarise_thread(
    transcript: str,
    *,
    settings: Settings,
    goal: str | None = None,
    timeout_s: float = 60.0,
) -> HandoffSummary:
    """Ask the rush model for a handoff summary of `transcript`; see the module docstring."""
    models = build_model_registry(settings, environment_with_credentials())
    try:
        resolved = models.resolve(None, "rush")
    except CodesmError as exc:
        return HandoffSummary(note=f"no model to summarise with ({exc})")
    summary = HandoffSummary(resolved=resolved)
    provider = create_provider(resolved.provider, idle_timeout_s=settings.network_timeout_s * 2)
    request = request_for(transcript, goal, resolved.info.id)

    async def ask() -> str:
        parts: list[str] = []
        async for item in provider.stream(request):
            if isinstance(item, TextDelta):
                parts.append(item.text)
            elif isinstance(item, UsageReport):
                summary.usages.append(item)
        return "".join(parts).strip()

    try:
        summary.text = await asyncio.wait_for(ask(), timeout_s) or None
    except TimeoutError:
        summary.note = f"{resolved.info.id} did not answer within {timeout_s:g} s"
    except CodesmError as exc:
        summary.note = f"{resolved.info.id} could not be reached ({exc})"
    if summary.text is None and summary.note is None:
        summary.note = f"{resolved.info.id} returned an empty summary"
    return summary


async def handoff_summary(
    store: Store,
    session: SessionRecord,
    events: Sequence[StoredEvent],
    settings: Settings,
    goal: str | None = None,
) -> HandoffSummary:
    """Summarise `session` from its events (secrets redacted first) and record the call's cost
    against it, as agent `handoff`, without touching its log."""
    from codesm.agent.model_step import usage_event
    from codesm.security.redact import Redactor
    from codesm.threads.markdown import render_markdown

    transcript = Redactor.for_environment(workspace=Path.cwd()).redact(
        render_markdown(session, events)
    )
    summary = await summarise_thread(transcript, settings=settings, goal=goal)
    if summary.resolved is not None:
        for report in summary.usages:
            usage = usage_event(report, summary.resolved, turn_id="", agent=HANDOFF_AGENT)
            await store.usage.record(
                provider=usage.provider,
                model=usage.model,
                session_id=session.id,
                agent=HANDOFF_AGENT,
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                cache_read_tokens=usage.cache_read_tokens,
                cache_write_tokens=usage.cache_write_tokens,
                reasoning_tokens=usage.reasoning_tokens,
                cost_usd=usage.cost_usd,
            )
    return summary
