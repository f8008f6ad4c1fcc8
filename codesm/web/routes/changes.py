"""One change card of a session, rendered in the diff layout the browser asks for: what the
side-by-side toggle swaps in, so only the layout shown is ever rendered. Read-only."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from codesm.web.context import web_context
from codesm.web.render.diff import diff_layout
from codesm.web.routes.pages import find_session
from codesm.web.session_state import load_renderer


async def change_card(request: Request) -> Response:
    """The card of change `change_id` with its diff `?layout=unified|split`."""
    ctx = web_context(request)
    session = await find_session(ctx, request.path_params["session_id"])
    layout = diff_layout(request.query_params.get("layout"))
    renderer = await load_renderer(ctx, session, diff_layout=layout)
    found = renderer.change_card(request.path_params["change_id"])
    if found is None:
        raise HTTPException(404, "no such change")
    html = ctx.macros("partials/live.html").change(*found)
    return HTMLResponse(str(html), headers={"cache-control": "no-store"})


routes = [
    Route("/s/{session_id}/changes/{change_id}", change_card, name="change_card"),
]
