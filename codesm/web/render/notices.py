"""The one-line notices the transcript shows for events that are not part of a conversation:
compaction, retries, budget warnings, a `/context` answer."""

from __future__ import annotations

from codesm.agent.context_usage import report_total
from codesm.agent.events import BudgetWarning, Compaction, ContextReport, Retry


def compaction_text(event: Compaction) -> str:
    text = f"Earlier messages were summarised ({event.tokens_before:,} -> "
    return text + f"{event.tokens_after:,} tokens)."


def retry_text(event: Retry) -> str:
    text = f"Retrying in {event.delay_s:.1f} s (attempt {event.attempt})"
    return f"{text}: {event.reason}" if event.reason else text


def budget_text(event: BudgetWarning) -> str:
    state = "reached" if event.exceeded else "nearly reached"
    text = f"The {event.scope} budget is {state}: ${event.spent_usd:.2f} of "
    return f"{text}${event.limit_usd:.2f} spent."


def context_text(event: ContextReport) -> str:
    used = report_total(event)
    text = f"Context of {event.model}: {used:,} of {event.context_window:,} "
    text += f"tokens ({100 * used / max(1, event.context_window):.1f}%); "
    return text + "the Context panel shows what."
