"""Loading what a session page shows from the runtime: the folded transcript, the status bar,
the sidebar's sessions and the connect-a-provider hint. Shared by the page and its WebSocket."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from markupsafe import Markup

from codesm.agent.providers.registry import PROVIDER_ENV
from codesm.agent.runtime import Runtime
from codesm.errors import CodesmError
from codesm.security.redact import Redactor
from codesm.store import SessionRecord
from codesm.web.context import WebContext
from codesm.web.folded_sessions import private_copy
from codesm.web.render.diff import DiffLayout
from codesm.web.render.live import SessionRenderer
from codesm.web.render.view import StatusView
from codesm.web.share_preview import PreviewItem, share_preview
from codesm.web.tail_fold import fold_tail

SIDEBAR_LIMIT = 50


def provider_hint(runtime: Runtime) -> str | None:
    """What to do when no provider is configured (None when one is)."""
    if runtime.models.providers:
        return None
    keys = [key for key, _ in PROVIDER_ENV.values() if key]
    return (
        "Paste a key or a local server's address in the connect dialog (Ctrl+A, /connect), or "
        f"set {', '.join(keys[:-1])} or {keys[-1]} (or OLLAMA_HOST for a local Ollama) and "
        "restart `codesm web`. Sessions, files and history work without one."
    )


def model_options(runtime: Runtime, current: str) -> list[str]:
    """The models of the configured providers, for the status bar's picker."""
    configured = runtime.models.providers
    options = [m.id for m in runtime.models.models() if m.provider in configured]
    if configured and current not in options:
        options.insert(0, current)
    return list(dict.fromkeys(options))


def model_label(runtime: Runtime, model: str | None, mode: str) -> tuple[str, int | None]:
    """The model id a session will use and its context window; a hint when none is available."""
    try:
        resolved = runtime.models.resolve(model, mode)  # type: ignore[arg-type]
    except CodesmError:
        return (model or "no provider"), None
    return resolved.info.id, resolved.info.context_window


async def load_renderer(
    ctx: WebContext,
    session: SessionRecord,
    *,
    diff_layout: DiffLayout = "unified",
    for_guest: bool = False,
) -> SessionRenderer:
    """A renderer with the stored events of `session` folded in (nothing rendered yet), of its
    own (the caller may apply live events to it); its diffs are shown in `diff_layout`.
    `for_guest`: streamed text is held back from the page until it cannot be part of a secret.

    The folded state is kept in `ctx.folded`, so only events stored since the last load are
    read and folded here (see `folded_sessions`); the first fold of a long session folds only
    the turns the page shows (see `tail_fold`)."""
    runtime = ctx.runtime
    label, window = model_label(runtime, session.model, session.mode)
    agent = runtime.agents.get(session.id)
    status = StatusView(
        mode=session.mode,
        permission_mode=agent.deps.permissions.mode if agent else runtime.permission_mode,
        model=label,
        context_window=window,
        title=session.title,
        model_options=model_options(runtime, label),
    )
    hold_for = ctx.guest_redactor if for_guest else None
    key = (session.id, diff_layout, for_guest)
    basis = (
        status.mode, status.permission_mode, label, window, status.title,
        tuple(status.model_options), id(hold_for),
    )  # fmt: skip
    macros = ctx.macros("partials/live.html")
    folded = ctx.folded.get(key, basis)
    if folded is None:
        folded = SessionRenderer(
            macros, status, _labeler(runtime, status), diff_layout=diff_layout, hold_for=hold_for
        )
        await fold_tail(runtime.store, session.id, folded)
        ctx.folded.keep(key, basis, folded)
    after = folded.last_seq
    while True:
        page = await runtime.store.events_after(session.id, after, 2000)
        for stored in page:
            folded.apply(stored, live=False)
        if len(page) < 2000:
            break
        after = page[-1].seq
    renderer = private_copy(folded)
    renderer.m = macros
    renderer.model_label = _labeler(runtime, renderer.status)
    if agent is not None:
        renderer.status.permission_mode = agent.deps.permissions.mode
    return renderer


def _labeler(runtime: Runtime, status: StatusView) -> Callable[[str], str]:
    def label_of(model: str) -> str:
        return model_label(runtime, model, status.mode)[0]

    return label_of


async def sidebar_sessions(
    runtime: Runtime, current: SessionRecord | None, query: str = ""
) -> tuple[list[SessionRecord], dict[str, float]]:
    """The sidebar's sessions (the current one always among them) and their costs."""
    store = runtime.store
    if query.strip():
        sessions = await store.sessions.search(query, project_id=runtime.project_id)
    else:
        sessions = await store.sessions.list_recent(
            project_id=runtime.project_id, limit=SIDEBAR_LIMIT
        )
        if current is not None and all(s.id != current.id for s in sessions):
            sessions.append(current)
    totals = await asyncio.gather(*(store.usage.totals(session_id=s.id) for s in sessions))
    return sessions, {s.id: t.cost_usd for s, t in zip(sessions, totals, strict=True)}


async def render_share_panel(
    ctx: WebContext,
    session_id: str,
    issued: list[tuple[str, str]] | None = None,
    error: str = "",
    notice: str = "",
) -> str:
    """The owner's Shares panel for one session; `issued` links are shown once. Until the session
    has a live link, it previews what a viewer will see (through the guest redactor)."""
    macros = ctx.macros("partials/shares.html")
    session = await ctx.runtime.store.sessions.get(session_id)
    links = ctx.shares.live_links(session_id)
    preview: list[PreviewItem] = []
    if not links and not issued:
        redactor = ctx.guest_redactor or Redactor.for_environment(
            workspace=ctx.config.workspace, home=Path.home()
        )
        preview = await share_preview(ctx.runtime.store, session_id, redactor)
    return Markup(
        macros.panel(
            session_id,
            links,
            issued or [],
            ctx.lan.lan_host,
            ctx.config.port,
            ctx.shares,
            error,
            preview=preview,
            first_share=not links and not issued,
            visitors=ctx.shares.presence.visitors(session_id),
            visibility=session.visibility if session is not None else "private",
            notice=notice,
        )
    )
