"""One session socket's part in presence: it is listed while open, an owner's socket keeps its
Shares panel's list of links and visitors live, and a guest's socket may set the guest's name
(the `guest_name` message, which the role table lets viewers send; it is not an agent op)."""

from __future__ import annotations

import asyncio
from typing import Any

from markupsafe import Markup
from starlette.websockets import WebSocket

from codesm.web.context import WebContext
from codesm.web.presence import guest_cookie_name
from codesm.web.roles import Principal, Role

GUEST_NAME = "guest_name"


class SocketPresence:
    def __init__(
        self,
        ctx: WebContext,
        websocket: WebSocket,
        session_id: str,
        principal: Principal,
        outbox: asyncio.Queue[str],
    ) -> None:
        self.ctx = ctx
        self.session_id = session_id
        self.principal = principal
        self.outbox = outbox
        self.presence = ctx.shares.presence
        self.guest_id = websocket.cookies.get(guest_cookie_name(ctx.shares.port))
        self.address = websocket.client.host if websocket.client else "unknown"
        # An owner watches before joining, so its own arrival marks "this tab" at once.
        self.changed = self.presence.watch(session_id) if principal.role is Role.OWNER else None
        self.visitor = self.presence.join(
            session_id, principal, address=self.address, guest_id=self.guest_id
        )
        # What the owner's page shows now: nothing to update while the session is not shared.
        self._shown = None if ctx.shares.live_links(session_id) else self.link_list()

    async def follow(self) -> None:
        """For an owner: push the links list again whenever a link or a visitor changes."""
        if self.changed is None:
            return
        while True:
            await self.changed.wait()
            self.changed.clear()
            html = self.link_list()
            if html != self._shown:
                self._shown = html
                await self.outbox.put(html)

    def link_list(self) -> str:
        macros = self.ctx.macros("partials/shares.html")
        html = macros.link_list(
            self.ctx.shares.live_links(self.session_id),
            self.presence.visitors(self.session_id),
            self.visitor.key,
            True,
        )
        return str(html)

    def set_name(self, frame: dict[str, Any]) -> str:
        """A guest's chosen name; returns the name form to show it (the owner has none)."""
        if not self.principal.is_guest:
            return ""
        chosen = self.presence.name(self.visitor, frame.get("name"))
        form = self.ctx.macros("partials/shares.html").guest_name_form(chosen)
        return str(Markup(form))

    def leave(self) -> None:
        if self.changed is not None:
            self.presence.unwatch(self.session_id, self.changed)
        self.presence.leave(self.visitor)
