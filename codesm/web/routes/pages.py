"""Page routes: the workspace entry, a session's page, and the health check."""

from __future__ import annotations

import re

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from codesm.store import SessionRecord
from codesm.web.commands import COMMANDS
from codesm.web.context import WebContext, web_context
from codesm.web.presence import guest_cookie_name
from codesm.web.render.diff import DIFF_LAYOUT_COOKIE, diff_layout
from codesm.web.render.panels import changed_paths
from codesm.web.render.view import StatusView
from codesm.web.roles import Role, principal_of
from codesm.web.session_state import (
    load_renderer,
    model_label,
    model_options,
    provider_hint,
    render_share_panel,
    sidebar_sessions,
)
from codesm.web.share_visibility import closed_to_guest
from codesm.web.workspace_files import tree_level

SESSION_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


async def healthz(request: Request) -> Response:
    """Liveness probe; public, reveals nothing."""
    return PlainTextResponse("ok")


async def index(request: Request) -> Response:
    """The newest session's page; with no session yet, an empty page whose first prompt makes one.

    A GET never writes, so the first session is created by the composer's POST, not here.
    """
    ctx = web_context(request)
    latest = await ctx.runtime.latest_session()
    if latest is not None:
        return RedirectResponse(f"/s/{latest.id}", 303, {"cache-control": "no-store"})
    return await _render(request, ctx, None)


async def session_page(request: Request) -> Response:
    """A session's own bookmarkable page."""
    ctx = web_context(request)
    session = await find_session(ctx, request.path_params["session_id"])
    if await closed_to_guest(ctx.shares, session, principal_of(request)):
        raise HTTPException(403, "this session is private now; its share links have ended")
    return await _render(request, ctx, session)


async def find_session(ctx: WebContext, session_id: str) -> SessionRecord:
    if not SESSION_ID.fullmatch(session_id):
        raise HTTPException(404, "no such session")
    session = await ctx.runtime.store.sessions.get(session_id)
    if session is None or session.project_id != ctx.runtime.project_id:
        raise HTTPException(404, "no such session")
    return session


def guest_name(ctx: WebContext, request: Request, session: SessionRecord | None) -> str:
    """The name this guest's browser chose earlier, for its name field."""
    if session is None or not principal_of(request).is_guest:
        return ""
    browser = request.cookies.get(guest_cookie_name(ctx.shares.port))
    return ctx.shares.presence.chosen_name(session.id, browser)


async def _render(request: Request, ctx: WebContext, session: SessionRecord | None) -> Response:
    runtime = ctx.runtime
    workspace = ctx.config.workspace
    changed: frozenset[str] = frozenset()
    if session is not None:
        layout = diff_layout(request.cookies.get(DIFF_LAYOUT_COOKIE))
        guest = principal_of(request).is_guest
        renderer = await load_renderer(ctx, session, diff_layout=layout, for_guest=guest)
        status, transcript = renderer.status, renderer.transcript()
        changed = changed_paths(renderer)
    else:
        label, window = model_label(runtime, None, runtime.settings.mode)
        status = StatusView(runtime.settings.mode, runtime.permission_mode, label, window)
        status.model_options = model_options(runtime, label)
        transcript = ctx.macros("partials/live.html").transcript([], 0)
    principal = principal_of(request)
    owner = principal.role is Role.OWNER
    if owner:
        sessions, costs = await sidebar_sessions(runtime, session)
        tree, truncated = await tree_level(workspace, ".")
    else:  # a guest sees its one session, and no files but what the session shows
        assert session is not None
        total = await runtime.store.usage.totals(session_id=session.id)
        sessions, costs, tree, truncated = [session], {session.id: total.cost_usd}, [], False
    return ctx.templates.TemplateResponse(
        request,
        "session.html",
        {
            "role": principal.role.name.lower(),
            "share_panel": await render_share_panel(ctx, session.id) if owner and session else "",
            "guest_name": guest_name(ctx, request, session),
            "version": ctx.version,
            "workspace_name": workspace.name or str(workspace),
            "workspace_path": str(workspace) if owner else workspace.name,
            "session_id": session.id if session else None,
            "status": status,
            "transcript": transcript,
            "sessions": sessions,
            "costs": costs,
            "tree": tree,
            "tree_truncated": truncated,
            "changed_paths": changed if owner else frozenset(),
            "provider_hint": provider_hint(runtime) if owner else None,
            "connection_state": "connecting" if session else "idle",
            "commands": list(COMMANDS.items()),
        },
        headers={"cache-control": "no-store"},
    )


routes = [
    Route("/", index, name="index"),
    Route("/s/{session_id}", session_page, name="session"),
    Route("/healthz", healthz, name="healthz"),
]
