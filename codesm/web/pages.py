"""Page routes: the workspace page, a session's page, and the health check."""

from __future__ import annotations

import re

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from codesm.web.context import web_context

SESSION_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


async def healthz(request: Request) -> Response:
    """Liveness probe; public, reveals nothing."""
    return PlainTextResponse("ok")


async def index(request: Request) -> Response:
    """The workspace page."""
    return _render_workspace(request, session_id=None)


async def session_page(request: Request) -> Response:
    """A session's own bookmarkable page."""
    session_id: str = request.path_params["session_id"]
    if not SESSION_ID.fullmatch(session_id):
        raise HTTPException(404, "no such session")
    return _render_workspace(request, session_id=session_id)


def _render_workspace(request: Request, *, session_id: str | None) -> Response:
    ctx = web_context(request)
    workspace = ctx.config.workspace
    return ctx.templates.TemplateResponse(
        request,
        "index.html",
        {
            "csrf_token": ctx.csrf_token,
            "version": ctx.version,
            "workspace_name": workspace.name or str(workspace),
            "workspace_path": str(workspace),
            "session_id": session_id,
            "connection_state": "connecting",
        },
        headers={"cache-control": "no-store"},
    )
