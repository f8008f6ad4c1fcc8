"""The owner's Shares panel: turn LAN sharing on for a session, list its live links, revoke one,
or make the session private again (which ends all of them).

Owner only (see `roles.py`); guests never reach these routes.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from codesm.web.context import web_context
from codesm.web.forms import form_fields
from codesm.web.lan import ShareUnavailable
from codesm.web.routes.pages import find_session
from codesm.web.session_state import render_share_panel as render_panel
from codesm.web.share_visibility import make_private, open_to_workspace

NO_STORE = {"cache-control": "no-store"}


async def shares_panel(request: Request) -> Response:
    """The panel for one session (`?session=`)."""
    ctx = web_context(request)
    session = await find_session(ctx, request.query_params.get("session", ""))
    return HTMLResponse(await render_panel(ctx, session.id), headers=NO_STORE)


async def start_sharing(request: Request) -> Response:
    """Listen on the LAN (once) and issue a viewer link, and a controller link if asked."""
    ctx = web_context(request)
    fields = await form_fields(request)
    session = await find_session(ctx, fields.get("session_id", ""))
    try:
        links = await ctx.lan.share(
            session.id, controller=fields.get("controller") == "on", title=session.title or ""
        )
    except ShareUnavailable as exc:
        return HTMLResponse(await render_panel(ctx, session.id, error=str(exc)), headers=NO_STORE)
    await open_to_workspace(ctx.runtime.store, session)  # the owner confirmed on the panel
    issued = [("Viewer", ctx.lan.url(links.viewer.path()))]
    if links.controller is not None:
        issued.append(("Controller", ctx.lan.url(links.controller.path())))
    return HTMLResponse(await render_panel(ctx, session.id, issued), headers=NO_STORE)


async def revoke_link(request: Request) -> Response:
    """End a link now; its open sockets close."""
    ctx = web_context(request)
    link = ctx.shares.get(request.path_params["link_id"])
    if link is None:
        raise HTTPException(404, "no such share link")
    await ctx.shares.revoke(link.id)
    return HTMLResponse(await render_panel(ctx, link.session_id), headers=NO_STORE)


async def make_session_private(request: Request) -> Response:
    """Store the session as private again: its live links end and their sockets close."""
    ctx = web_context(request)
    session = await find_session(ctx, (await form_fields(request)).get("session_id", ""))
    revoked = await make_private(ctx.runtime.store, ctx.shares, session.id)
    ended = f"; {revoked} link{'s' if revoked != 1 else ''} revoked" if revoked else ""
    html = await render_panel(ctx, session.id, notice=f"This session is private again{ended}.")
    return HTMLResponse(html, headers=NO_STORE)


routes = [
    Route("/shares", shares_panel, name="shares", methods=["GET"]),
    Route("/shares", start_sharing, name="start_sharing", methods=["POST"]),
    Route("/shares/{link_id}/revoke", revoke_link, name="revoke_share", methods=["POST"]),
    Route("/shares/private", make_session_private, name="share_private", methods=["POST"]),
]
