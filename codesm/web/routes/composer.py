"""Composer helpers: completions for `@file` mentions and `/` commands, answered as HTML
fragments; read-only. (The connect-a-provider dialog lives in `routes/connect.py`.)"""

from __future__ import annotations

import os

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from codesm.file_finder import finder_for
from codesm.web.commands import complete_commands
from codesm.web.context import web_context

MAX_MENTIONS = 12
MAX_QUERY = 200


async def complete(request: Request) -> Response:
    """`?q=@que` ranks workspace files (fuzzy, gitignore-aware); `?q=/co` lists commands."""
    ctx = web_context(request)
    query = request.query_params.get("q", "")[:MAX_QUERY]
    options: list[tuple[str, str, str]] = []
    if query.startswith("@"):
        try:
            found = await finder_for(ctx.config.workspace).find(query[1:], limit=MAX_MENTIONS)
        except (OSError, ValueError):
            found = []
        options = [(f"@{m.path}", m.path, "") for m in found if _confined(m.path)]
    elif query.startswith("/"):
        options = [(f"/{name}", f"/{name}", text) for name, text in complete_commands(query[1:])]
    html = ctx.macros("partials/panels.html").completions(options)
    return HTMLResponse(str(html), headers={"cache-control": "no-store"})


def _confined(path: str) -> bool:
    """A relative path that stays inside the workspace (fuzzy_find only returns those)."""
    return not os.path.isabs(path) and ".." not in path.split("/")


routes = [
    Route("/complete", complete, name="complete"),
]
