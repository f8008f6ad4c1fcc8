"""The session page's WebSocket. Host, Origin and the principal (owner, or a share link's guest
confined to its session) were checked by the security middleware before this handler runs."""

from __future__ import annotations

from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from codesm.web.context import web_context
from codesm.web.roles import principal_of
from codesm.web.routes.pages import SESSION_ID
from codesm.web.session_socket import LINK_ENDED, SessionLink
from codesm.web.share_visibility import closed_to_guest

GONE = 4404


async def session_socket(websocket: WebSocket) -> None:
    """Replay the session, follow it live, and pass the page's actions to its agent."""
    ctx = web_context(websocket)
    session_id: str = websocket.path_params["session_id"]
    await websocket.accept()
    session = None
    if SESSION_ID.fullmatch(session_id):
        session = await ctx.runtime.store.sessions.get(session_id)
    if session is None or session.project_id != ctx.runtime.project_id:
        await websocket.send_text(
            '<span id="connection-state" class="conn conn-gone" role="status">'
            "session not found</span>"
        )
        await websocket.close(GONE, "no such session")
        return
    principal = principal_of(websocket)
    if await closed_to_guest(ctx.shares, session, principal):
        await websocket.close(LINK_ENDED, "this session is private now")
        return
    await SessionLink(ctx, websocket, session, principal).run()


routes = [WebSocketRoute("/ws/s/{session_id}", session_socket, name="session_socket")]
