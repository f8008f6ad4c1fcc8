"""The page's live WebSocket: HTML fragments out (htmx ws extension), JSON frames in.

A placeholder until the session hub is wired: it proves the authenticated socket end to end by
announcing the connection and answering `{"type": "ping"}`. The middleware has already checked
Host, Origin and the owner cookie before this handler runs.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.websockets import WebSocket

from codesm.web.context import web_context

UNSUPPORTED_DATA = 1003


async def live_socket(websocket: WebSocket) -> None:
    """Accept, announce the connection, then answer pings until the browser leaves."""
    templates = web_context(websocket).templates
    await websocket.accept()
    await websocket.send_text(
        templates.get_template("partials/connection_state.html").render(state="connected")
    )
    pongs = 0
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        frame = _parse(message.get("text"))
        if frame is None:
            await websocket.close(UNSUPPORTED_DATA, "expected a JSON object")
            return
        if frame.get("type") == "ping":
            pongs += 1
            reply = templates.get_template("partials/ws_reply.html").render(pongs=pongs)
        else:
            reply = templates.get_template("partials/ws_unsupported.html").render(
                kind=str(frame.get("type"))[:64]
            )
        await websocket.send_text(reply)


def _parse(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        frame = json.loads(text)
    except ValueError:
        return None
    return frame if isinstance(frame, dict) else None
