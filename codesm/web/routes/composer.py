"""Composer helpers: completions for `@file` mentions and `/` commands, and the
connect-a-provider dialog. Both answer HTML fragments; both are read-only."""

from __future__ import annotations

import asyncio
import os

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from codesm.agent.providers.registry import PROVIDER_ENV, how_to_enable
from codesm.doctor import detect_local_servers
from codesm.file_finder import finder_for
from codesm.web.commands import complete_commands
from codesm.web.context import web_context

MAX_MENTIONS = 12
MAX_QUERY = 200
DETECT_TIMEOUT_S = 0.3


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


async def connect(request: Request) -> Response:
    """How to connect a provider: the variables, `codesm login`, and local servers found."""
    ctx = web_context(request)
    servers = await asyncio.to_thread(detect_local_servers, DETECT_TIMEOUT_S)
    providers = [
        (name, key_var, how_to_enable(name), name in ctx.runtime.models.providers)
        for name, (key_var, _) in PROVIDER_ENV.items()
    ]
    html = ctx.macros("partials/panels.html").connect_dialog(providers, servers)
    return HTMLResponse(str(html), headers={"cache-control": "no-store"})


routes = [
    Route("/complete", complete, name="complete"),
    Route("/connect", connect, name="connect"),
]
