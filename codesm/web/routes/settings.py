"""The settings page: MCP servers and their state (with Approve for project servers), and the
instruction files and skills in effect. Owner only (see roles.py)."""

from __future__ import annotations

import asyncio

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from codesm.web.context import WebContext, web_context
from codesm.web.forms import form_fields
from codesm.web.render.extensions import instructions_view, mcp_rows

PARTIAL = "partials/settings.html"


async def _servers_html(ctx: WebContext, notice: tuple[str, str] | None = None) -> str:
    rows = await asyncio.to_thread(mcp_rows, ctx.runtime)
    return str(ctx.macros(PARTIAL).mcp_servers(rows, notice))


async def settings_page(request: Request) -> Response:
    """The whole page."""
    ctx = web_context(request)
    workspace = ctx.config.workspace
    return ctx.templates.TemplateResponse(
        request,
        "settings.html",
        {
            "workspace_name": workspace.name or str(workspace),
            "workspace_path": str(workspace),
            "servers": await asyncio.to_thread(mcp_rows, ctx.runtime),
            "instructions": await asyncio.to_thread(instructions_view, ctx.runtime),
        },
        headers={"cache-control": "no-store"},
    )


async def mcp_servers(request: Request) -> Response:
    """The MCP servers section alone (it refreshes itself while a server is starting)."""
    html = await _servers_html(web_context(request))
    return HTMLResponse(html, headers={"cache-control": "no-store"})


async def approve_server(request: Request) -> Response:
    """Approve a project server, pinned to the config hash the page showed, and start it."""
    ctx = web_context(request)
    name = request.path_params["name"]
    extensions = ctx.runtime.extensions
    if extensions is None or name not in extensions.mcp.config.servers:
        raise HTTPException(404, "no such MCP server")
    pin = (await form_fields(request)).get("pin", "")
    if await extensions.mcp.approve_and_start(name, pin):
        notice = ("ok", f"Approved {name}. Open sessions get its tools once it is running.")
    else:
        notice = ("error", f"{name}'s configuration is not the one shown; review it again.")
    return HTMLResponse(await _servers_html(ctx, notice))


routes = [
    Route("/settings", settings_page, name="settings"),
    Route("/settings/mcp", mcp_servers, name="settings-mcp"),
    Route("/settings/mcp/{name}/approve", approve_server, methods=["POST"], name="mcp-approve"),
]
