"""What a session page shows about providers, brought up to date after the connect dialog
changed them: the model picker offers the models now configured, and the "connect a provider"
notice goes once one is (and comes back when the last one is removed). The dialog's own response
carries it for the tab that posted; every owner socket follows `ProviderChanges` for the other
tabs (guests' pages have no picker to use)."""

from __future__ import annotations

import asyncio

from codesm.store import SessionRecord
from codesm.web.context import WebContext
from codesm.web.render.view import StatusView
from codesm.web.session_state import model_label, model_options, provider_hint


def notice_slot(ctx: WebContext) -> str:
    """The "connect a provider" notice's slot, filled when no provider is left and emptied once
    one is. The slot is on every session page, so swapping it never misses its target (htmx logs
    an error for an out-of-band fragment whose target is gone, e.g. a notice already removed)."""
    notice = ctx.macros("partials/panels.html").provider_notice(provider_hint(ctx.runtime))
    return f'<div id="provider-notice-slot" hx-swap-oob="innerHTML">{notice}</div>'


def provider_fragments(ctx: WebContext, session: SessionRecord) -> str:
    """The session's model picker (swapped by id) and the notice slot."""
    runtime = ctx.runtime
    label, window = model_label(runtime, session.model, session.mode)
    status = StatusView(session.mode, runtime.permission_mode, label, window)
    status.model_options = model_options(runtime, label)
    picker = str(ctx.macros("partials/live.html").status_model(status))
    return notice_slot(ctx) + picker


async def follow_provider_changes(
    ctx: WebContext, session_id: str, outbox: asyncio.Queue[str]
) -> None:
    """For an owner's socket: push `provider_fragments` whenever the providers change."""
    changed = ctx.provider_changes.watch()
    try:
        while True:
            await changed.wait()
            changed.clear()
            session = await ctx.runtime.store.sessions.get(session_id)
            if session is not None:
                await outbox.put(provider_fragments(ctx, session))
    finally:
        ctx.provider_changes.unwatch(changed)
