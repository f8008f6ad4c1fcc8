"""One browser tab's live link to one session: replay, then follow the hub; ops in.

Out: the session's events as htmx out-of-band fragments. A replay of the whole transcript goes in
one frame; live fragments queue for a single sender task that coalesces whatever is waiting into
one frame, so a slow browser delays only itself. The queue is bounded: when it is full the
follower waits, its hub subscription fills, and the hub marks it lagging and lets it re-read the
store later (the hub itself never waits for a reader).

In: `ws-send` frames (JSON of a form's fields). Each must carry the page's CSRF token (the one of
whoever the socket is for) and an op type the role table lets that principal send; it is then
turned into an op with `parse_op` and handed to the session's agent. A share link's socket also
ends at once when the link is revoked or expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from dataclasses import replace
from datetime import datetime
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from codesm.agent.events import Title
from codesm.agent.ops import (
    OP_TYPES,
    Approve,
    CancelSubagent,
    Op,
    SteerSubagent,
    SubmitPrompt,
    parse_op,
)
from codesm.errors import CodesmError
from codesm.store import SessionRecord
from codesm.web.commands import COMMANDS, CommandReply, read_command
from codesm.web.context import WebContext
from codesm.web.presence_socket import GUEST_NAME, SocketPresence
from codesm.web.provider_refresh import follow_provider_changes
from codesm.web.render.diff import DIFF_LAYOUT_COOKIE, diff_layout
from codesm.web.render.live import SessionRenderer
from codesm.web.render.panels import panel_fragments, panels, tree_mark_fragments
from codesm.web.roles import Principal, Role, may_send_op
from codesm.web.session_state import load_renderer, provider_hint, sidebar_sessions

log = logging.getLogger(__name__)

QUEUE_FRAMES = 256
MAX_FRAME_CHARS = 512 * 1024
FORM_NOISE = frozenset({"HEADERS", "csrf_token"})
ANSWERS = frozenset({"cancel", "approve", "deny", "answer"})
"""Ops that only mean something to an agent that is already running or waiting."""
UNSUPPORTED_DATA = 1003
POLICY_VIOLATION = 1008
LINK_ENDED = 4403
NOT_ALLOWED = "Not allowed: this link cannot do that."
CONNECTED = '<span id="connection-state" class="conn conn-connected" role="status">connected</span>'


class SessionLink:
    def __init__(
        self, ctx: WebContext, websocket: WebSocket, session: SessionRecord, principal: Principal
    ) -> None:
        self.ctx = ctx
        self.websocket = websocket
        self.session = session
        self.principal = principal
        self.stop = asyncio.Event()
        self.outbox: asyncio.Queue[str] = asyncio.Queue(QUEUE_FRAMES)
        self.live = ctx.macros("partials/live.html")
        self.panels = ctx.macros("partials/panels.html")
        self.files = ctx.macros("partials/files.html")

    async def run(self) -> None:
        layout = diff_layout(self.websocket.cookies.get(DIFF_LAYOUT_COOKIE))
        renderer = await load_renderer(
            self.ctx, self.session, diff_layout=layout, for_guest=self.principal.is_guest
        )
        await self.outbox.put(self._replay(renderer))
        self.presence = SocketPresence(
            self.ctx, self.websocket, self.session.id, self.principal, self.outbox
        )
        tasks = [
            asyncio.create_task(self._send_loop()),
            asyncio.create_task(self._follow(renderer)),
            asyncio.create_task(self.presence.follow()),
        ]
        if self.principal.role is Role.OWNER:  # a key stored in another tab updates this one
            follow = follow_provider_changes(self.ctx, self.session.id, self.outbox)
            tasks.append(asyncio.create_task(follow))
        receiving = asyncio.create_task(self._receive_loop())
        stopped = asyncio.create_task(self.stop.wait())
        link_id, shares = self.principal.link_id, self.ctx.shares
        if link_id is not None:
            shares.attach(link_id, self.stop)
        try:
            timeout = shares.remaining_s(link_id) if link_id is not None else None
            await asyncio.wait([receiving, stopped], timeout=timeout, return_when="FIRST_COMPLETED")
        finally:
            self.presence.leave()
            if link_id is not None:
                shares.detach(link_id, self.stop)
            for task in [*tasks, receiving, stopped]:
                task.cancel()
            for task in [*tasks, receiving, stopped]:
                with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                    await task
        if not receiving.done() or receiving.cancelled():
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                await self.websocket.close(LINK_ENDED, "this share link was revoked or expired")

    def _replay(self, renderer: SessionRenderer) -> str:
        m, status = self.live, renderer.status
        return "".join(
            str(part)
            for part in (
                CONNECTED,
                f'<div id="transcript" hx-swap-oob="innerHTML">{renderer.transcript()}</div>',
                m.session_title(status),
                m.status_mode(status),
                m.status_permission(status),
                m.status_model(status),
                m.status_usage(status),
                m.run_state(status),
                panels(renderer, self.panels),
            )
        )

    async def _send_loop(self) -> None:
        while True:
            parts = [await self.outbox.get()]
            size = len(parts[0])
            while size < MAX_FRAME_CHARS and not self.outbox.empty():
                parts.append(self.outbox.get_nowait())
                size += len(parts[-1])
            await self.websocket.send_text("".join(parts))

    async def _follow(self, renderer: SessionRenderer) -> None:
        runtime = self.ctx.runtime
        async with runtime.hub.subscribe(self.session.id, after_seq=renderer.last_seq) as events:
            async for stored in events:
                try:
                    fragments = renderer.apply(stored)
                    fragments += panel_fragments(renderer, stored.event, self.panels)
                    if self.principal.role is Role.OWNER:  # only the owner's page has the tree
                        fragments += tree_mark_fragments(renderer, stored.event, self.files)
                    if isinstance(stored.event, Title):
                        fragments.append(await self._sidebar())
                except Exception:  # one bad event must not end the page's live view
                    log.exception("rendering event %s of %s", stored.seq, self.session.id)
                    continue
                if fragments:
                    await self.outbox.put("".join(fragments))

    async def _sidebar(self) -> str:
        sessions, costs = await sidebar_sessions(self.ctx.runtime, self.session)
        html = self.ctx.macros("partials/sidebar.html").session_list(
            sessions, self.session.id, costs
        )
        return str(html)

    async def _receive_loop(self) -> None:
        while True:
            message = await self.websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            frame = _json_object(message.get("text"))
            if frame is None:
                await self.websocket.close(UNSUPPORTED_DATA, "expected a JSON object")
                return
            token = frame.get("csrf_token")
            expected = self.principal.csrf_token.encode()
            if not isinstance(token, str) or not hmac.compare_digest(token.encode(), expected):
                await self.websocket.close(POLICY_VIOLATION, "missing or wrong CSRF token")
                return
            await self._handle(frame)

    async def _handle(self, frame: dict[str, Any]) -> None:
        if frame.get("type") == GUEST_NAME and may_send_op(self.principal, GUEST_NAME):
            await self.outbox.put(self.presence.set_name(frame))
            return await self._flash("clear", "")
        fields = op_fields(frame)
        if fields is None:
            return await self._flash("error", "That action is not supported.")
        link = self.principal.link_id
        if not may_send_op(self.principal, str(fields["type"])) or (
            link is not None and not self.ctx.shares.is_live(link)
        ):
            return await self._flash("error", NOT_ALLOWED)
        runtime = self.ctx.runtime
        try:
            op = parse_op(fields)
        except CodesmError:
            return await self._flash("error", "That action was not understood.")
        if isinstance(op, Approve) and op.remember is not None and self.principal.is_guest:
            # "Always allow" writes rules for the owner's future sessions: owners only.
            return await self._flash("error", NOT_ALLOWED)
        if isinstance(op, SubmitPrompt) and not _may_switch(self.principal, op):
            # A prompt's mode and model are set_mode / set_model in disguise: same roles.
            return await self._flash("error", NOT_ALLOWED)
        if isinstance(op, SteerSubagent | CancelSubagent):
            # Checked in the core: the target must be a running subagent of this very session.
            problem = await runtime.subagents.control(self.session.id, op)
            return await self._flash("error" if problem else "clear", problem or "")
        if isinstance(op, SubmitPrompt):
            read = read_command(op, self.session.mode)
            if read is None:
                return None
            if isinstance(read, CommandReply):
                return await self._command(read)
            op = read
            hint = provider_hint(runtime)
            if hint is not None:
                return await self._flash("warn", f"Connect a model provider to chat. {hint}")
        elif op.type in ANSWERS and self.session.id not in runtime.agents:
            return None  # nothing is running or waiting in this session yet
        problem = await self._to_agent(op)
        await self._flash("error" if problem else "clear", problem or "")
        return None

    async def _to_agent(self, op: Op) -> str | None:
        """Hand `op` to the session's agent; what went wrong, or None."""
        runtime = self.ctx.runtime
        session = await runtime.store.sessions.get(self.session.id)
        if session is None:
            return "This session was deleted."
        self.session = session
        agent = await runtime.agent(session)
        try:
            await agent.handle(op)
        except CodesmError as exc:
            return str(exc)
        return None

    async def _command(self, reply: CommandReply) -> None:
        """Run a `/` command: its op (as the principal may), then its reply."""
        owner_only = reply.new_session or reply.connect
        if (reply.op is not None and not may_send_op(self.principal, reply.op.type)) or (
            owner_only and self.principal.role is not Role.OWNER
        ):
            return await self._flash("error", NOT_ALLOWED)
        if reply.status or reply.session is not None:
            reply = await self._describe(reply)
        if reply.new_session:
            created = await self.ctx.runtime.new_session()
            link = (f"/s/{created.id}", "Open the new session")
            reply = replace(reply, text="Starting a new session…", link=link, navigate=True)
        if reply.op is not None:
            problem = await self._to_agent(reply.op)
            if problem is not None or not reply.text:
                return await self._flash("error" if problem else "clear", problem or "")
        html = self.panels.command_reply(reply, COMMANDS)
        await self.outbox.put(str(html))
        return None

    async def _describe(self, reply: CommandReply) -> CommandReply:
        """`/status` and `/session [ID]`: answered from the store and the folded session, which
        the socket has and the command parser does not."""
        store = self.ctx.runtime.store
        session = await store.sessions.get(self.session.id) or self.session
        if reply.status:
            renderer = await load_renderer(self.ctx, session, for_guest=self.principal.is_guest)
            status = renderer.status
            state = "a turn is running" if status.running else "idle"
            text = (
                f"{status.mode} · {status.permission_mode} · {status.model} · context "
                f"{status.context_label} · {status.cost_label} · {state}"
            )
            return replace(reply, text=text)
        wanted = reply.session or ""
        if not wanted:
            created = _time_label(session.created_at)
            updated = _time_label(session.updated_at)
            text = (
                f"{session.title or 'Untitled'} · id {session.id} · started {created} · "
                f"last active {updated} · {session.visibility}"
            )
            return replace(reply, text=text)
        if self.principal.role is not Role.OWNER:  # a guest is confined to its one session
            return replace(reply, text=NOT_ALLOWED, kind="error")
        found = [
            s
            for s in await store.sessions.with_prefix(wanted, limit=2)
            if s.project_id == self.ctx.runtime.project_id
        ]
        if len(found) != 1:
            problem = "No session" if not found else "More than one session"
            return replace(
                reply, text=f"{problem} of this project starts with {wanted}.", kind="warn"
            )
        target = found[0]
        link = (f"/s/{target.id}", f"Open {target.title or target.id}")
        return replace(reply, text="Opening the session…", link=link, navigate=True)

    async def _flash(self, kind: str, text: str) -> None:
        html = self.ctx.templates.env.get_template("partials/flash.html").render(
            kind=kind, text=text
        )
        await self.outbox.put(html)


def _time_label(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def _may_switch(principal: Principal, op: SubmitPrompt) -> bool:
    """Whether `principal` may also change the mode and model a prompt names."""
    return (op.mode is None or may_send_op(principal, "set_mode")) and (
        op.model is None or may_send_op(principal, "set_model")
    )


def op_fields(frame: dict[str, Any]) -> dict[str, Any] | None:
    """A ws-send frame's form fields as the fields of an op (None for an unknown op type)."""
    fields = {k: v for k, v in frame.items() if k not in FORM_NOISE}
    if fields.get("type") not in OP_TYPES:
        return None
    if fields.get("comment") == "":
        fields.pop("comment")
    partial = fields.pop("partial", None) is not None
    if partial and "hunks" not in fields:
        fields["hunks"] = []  # "accept checked hunks" with none checked accepts nothing
    hunks = fields.get("hunks")
    if isinstance(hunks, str):
        fields["hunks"] = [int(h) for h in hunks.split(",") if h.strip().isdigit()]
    elif isinstance(hunks, list):
        fields["hunks"] = [int(h) for h in hunks if str(h).strip().isdigit()]
    return fields


def _json_object(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        frame = json.loads(text)
    except ValueError:
        return None
    return frame if isinstance(frame, dict) else None
