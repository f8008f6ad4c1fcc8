"""Sidebar routes: list and search sessions, create, rename, archive, delete (htmx posts)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from codesm.agent.ops import SubmitPrompt
from codesm.web.context import web_context
from codesm.web.forms import form_fields
from codesm.web.routes.pages import SESSION_ID, find_session
from codesm.web.session_state import provider_hint, sidebar_sessions

MAX_TITLE = 200


def _go(request: Request, url: str) -> Response:
    """htmx follows HX-Redirect; a plain form post follows the 303."""
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"hx-redirect": url})
    return RedirectResponse(url, 303)


async def list_sessions(request: Request) -> Response:
    """The sidebar list, optionally filtered by a search (`?q=`)."""
    ctx = web_context(request)
    current_id = request.query_params.get("current", "")
    current = None
    if SESSION_ID.fullmatch(current_id):
        current = await ctx.runtime.store.sessions.get(current_id)
    query = request.query_params.get("q", "")[:200]
    sessions, costs = await sidebar_sessions(ctx.runtime, current, query)
    macros = ctx.macros("partials/sidebar.html")
    return HTMLResponse(str(macros.session_list(sessions, current_id, costs, query)))


async def create_session(request: Request) -> Response:
    """A new session; a first prompt in the form starts its first turn."""
    ctx = web_context(request)
    runtime = ctx.runtime
    prompt = (await form_fields(request)).get("prompt", "").strip()
    session = await runtime.new_session()
    if prompt and provider_hint(runtime) is None:
        agent = await runtime.agent(session)
        await agent.handle(SubmitPrompt(text=prompt))
    return _go(request, f"/s/{session.id}")


async def rename_session(request: Request) -> Response:
    ctx = web_context(request)
    session = await find_session(ctx, request.path_params["session_id"])
    title = " ".join((await form_fields(request)).get("title", "").split())[:MAX_TITLE]
    if title:
        session = await ctx.runtime.store.sessions.update(session.id, title=title)
    return await _item(request, session.id)


async def archive_session(request: Request) -> Response:
    ctx = web_context(request)
    session = await find_session(ctx, request.path_params["session_id"])
    await ctx.runtime.store.sessions.update(session.id, archived=not session.archived)
    return await _item(request, session.id)


async def delete_session(request: Request) -> Response:
    ctx = web_context(request)
    session = await find_session(ctx, request.path_params["session_id"])
    agent = ctx.runtime.agents.pop(session.id, None)
    if agent is not None:
        await agent.aclose()
    await ctx.runtime.store.sessions.delete(session.id)
    if request.headers.get("hx-current-url", "").rstrip("/").endswith(f"/s/{session.id}"):
        return _go(request, "/")
    return HTMLResponse("")


async def _item(request: Request, session_id: str) -> Response:
    """The sidebar entry after an action; archived sessions leave the list."""
    ctx = web_context(request)
    session = await ctx.runtime.store.sessions.get(session_id)
    if session is None or session.archived:
        return HTMLResponse("")
    totals = await ctx.runtime.store.usage.totals(session_id=session.id)
    current = request.headers.get("hx-current-url", "").rstrip("/").rsplit("/", 1)[-1]
    macros = ctx.macros("partials/sidebar.html")
    return HTMLResponse(str(macros.session_item(session, current, {session.id: totals.cost_usd})))


routes = [
    Route("/sessions", list_sessions, name="sessions", methods=["GET"]),
    Route("/sessions", create_session, name="new_session", methods=["POST"]),
    Route("/s/{session_id}/rename", rename_session, name="rename_session", methods=["POST"]),
    Route("/s/{session_id}/archive", archive_session, name="archive_session", methods=["POST"]),
    Route("/s/{session_id}/delete", delete_session, name="delete_session", methods=["POST"]),
]
