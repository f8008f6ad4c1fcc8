"""Code pane routes: one level of the file tree, and a file preview. Read-only."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from codesm.errors import PathOutsideWorkspace, WorkspacePathError
from codesm.web.context import web_context
from codesm.web.render.panels import changed_paths
from codesm.web.routes.pages import find_session
from codesm.web.session_state import load_renderer
from codesm.web.workspace_files import preview, tree_level


def _refuse(exc: Exception) -> HTTPException:
    if isinstance(exc, PathOutsideWorkspace | PermissionError):
        return HTTPException(403, "outside the workspace")
    return HTTPException(404, "no such file or folder")


async def file_tree(request: Request) -> Response:
    """The children of one folder (`?path=`, default the workspace root); with `?session=`,
    the files that session changed are marked."""
    ctx = web_context(request)
    try:
        entries, truncated = await tree_level(
            ctx.config.workspace, request.query_params.get("path", "")
        )
    except (WorkspacePathError, OSError, ValueError) as exc:
        raise _refuse(exc) from exc
    session_id = request.query_params.get("session") or None
    changed: frozenset[str] = frozenset()
    if session_id is not None:
        session = await find_session(ctx, session_id)
        changed = changed_paths(await load_renderer(ctx, session))
    html = ctx.macros("partials/files.html").tree_level(entries, truncated, changed, session_id)
    return HTMLResponse(str(html), headers={"cache-control": "no-store"})


async def file_view(request: Request) -> Response:
    """A syntax-highlighted page of one file (`?path=`), from line `?offset=` + 1 (a count of
    lines) or from `?line=` (jump to that line)."""
    ctx = web_context(request)
    path = request.query_params.get("path", "")
    if not path:
        raise HTTPException(404, "no file named")
    offset = _line_offset(request)
    try:
        shown = await preview(ctx.config.workspace, path, offset)
    except (WorkspacePathError, OSError, ValueError) as exc:
        raise _refuse(exc) from exc
    html = ctx.macros("partials/files.html").preview(shown)
    return HTMLResponse(str(html), headers={"cache-control": "no-store"})


def _line_offset(request: Request) -> int:
    params = request.query_params
    try:
        if params.get("line"):
            return max(0, int(params["line"]) - 1)
        return max(0, int(params.get("offset") or 0))
    except ValueError as exc:
        raise HTTPException(400, "offset and line are line numbers") from exc


routes = [
    Route("/files/tree", file_tree, name="file_tree"),
    Route("/files/view", file_view, name="file_view"),
]
