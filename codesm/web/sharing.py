"""Share links: one session shown to someone else, read-only (viewer) or able to chat and
approve (controller).

A link's token is 256 random bits, shown once in the link and never stored: the registry keeps
its SHA-256 and compares digests in constant time against every live link. The browser trades the
token for an HttpOnly cookie holding it (`?share=` then a redirect, like the owner token), so the
cookie dies with the link. Links expire (default 8 h) and can be revoked; both end the link's open
sockets at once through the stop events they registered.

With a store (`restore`), links are also rows of the session database, so a restarted server
honours the links it handed out before: memory answers every request, the rows are written
through on issue and revoke, and expired rows are purged when the server starts or issues a link.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from starlette.requests import cookie_parser

from codesm.store import ShareLinkRow, ShareLinks
from codesm.web.presence import (
    Presence,
    guest_cookie_header,
    guest_cookie_name,
    new_guest_id,
    valid_guest_id,
)
from codesm.web.roles import Principal, Role

DEFAULT_TTL_S = 8 * 3600
SHARE_PARAM = "share"
COOKIE_PREFIX = "codesm_share_"
GUEST_ROLES = (Role.VIEWER, Role.CONTROLLER)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "replace")).digest()


def guest_csrf_token(token: str) -> str:
    """The CSRF token of a guest's pages and frames: derived from its link, never the owner's."""
    mac = hmac.new(token.encode(), b"codesm web share csrf v1", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


@dataclass(slots=True)
class ShareLink:
    id: str
    role: Role
    session_id: str
    created: float
    expires: float
    token_hash: bytes = field(repr=False)
    revoked: bool = False

    def live(self, now: float) -> bool:
        return not self.revoked and now < self.expires

    def until(self) -> str:
        """The local time the link expires, for the Shares panel."""
        return time.strftime("%H:%M", time.localtime(self.expires))


@dataclass(frozen=True, slots=True)
class IssuedLink:
    link: ShareLink
    token: str = field(repr=False)

    def path(self) -> str:
        return f"/s/{self.link.session_id}?{SHARE_PARAM}={self.token}"


class ShareRegistry:
    """The share links of one server (and, once restored, of the servers before it)."""

    def __init__(
        self, *, port: int, ttl_s: float = DEFAULT_TTL_S, clock: Callable[[], float] = time.time
    ) -> None:
        self.port = port
        self.ttl_s = ttl_s
        self.clock = clock
        self.cookie_name = f"{COOKIE_PREFIX}{port}"
        self.presence = Presence(clock=clock)
        self._links: dict[str, ShareLink] = {}
        self._stops: dict[str, set[asyncio.Event]] = {}
        self._rows: ShareLinks | None = None
        self._unsaved: set[str] = set()

    async def restore(self, rows: ShareLinks, *, project_id: str) -> None:
        """Keep links in `rows` from now on, and take back the live links of `project_id`
        that earlier servers saved (expired ones are purged)."""
        self._rows = rows
        now = self.clock()
        await rows.purge_expired(now)
        for row in await rows.live(now, project_id=project_id):
            self._links.setdefault(
                row.id,
                ShareLink(row.id, Role[row.role.upper()], row.session_id, row.created_at,
                          row.expires_at, row.token_sha256),
            )  # fmt: skip

    async def issue(self, session_id: str, role: Role, *, ttl_s: float | None = None) -> IssuedLink:
        if role not in GUEST_ROLES:
            raise ValueError(f"share links are for viewers and controllers, not {role.name}")
        token = secrets.token_urlsafe(32)
        now = self.clock()
        link = ShareLink(
            id=secrets.token_hex(6),
            role=role,
            session_id=session_id,
            created=now,
            expires=now + (self.ttl_s if ttl_s is None else ttl_s),
            token_hash=_digest(token),
        )
        if self._rows is not None:
            await self._rows.purge_expired(now)
            await self._rows.add(
                ShareLinkRow(link.id, session_id, role.name.lower(), link.token_hash,
                             link.created, link.expires)
            )  # fmt: skip
        self._links[link.id] = link
        self.presence.changed(session_id)
        return IssuedLink(link, token)

    def resolve(self, token: str | None) -> ShareLink | None:
        """The live link whose token this is; every link is compared, in constant time."""
        if not token or len(token) > 200:
            return None
        digest = _digest(token)
        found = None
        for link in list(self._links.values()):
            if hmac.compare_digest(link.token_hash, digest):
                found = link
        return found if found is not None and found.live(self.clock()) else None

    def principal(self, cookie_header: str | None) -> Principal | None:
        """The guest a Cookie header speaks for, if it carries a live link's cookie."""
        if not cookie_header:
            return None
        token = cookie_parser(cookie_header).get(self.cookie_name)
        link = self.resolve(token)
        if link is None or token is None:
            return None
        return Principal(link.role, guest_csrf_token(token), link.session_id, link.id)

    def is_live(self, link_id: str | None) -> bool:
        link = self._links.get(link_id or "")
        return link is not None and link.live(self.clock())

    def get(self, link_id: str) -> ShareLink | None:
        return self._links.get(link_id)

    def live_links(self, session_id: str | None = None) -> list[ShareLink]:
        """Links in force, and those whose revocation is not saved yet (listed to be revoked
        again; no request is honoured through them meanwhile)."""
        now = self.clock()
        return [
            link
            for link in self._links.values()
            if (link.live(now) or link.id in self._unsaved)
            and session_id in (None, link.session_id)
        ]

    def remaining_s(self, link_id: str) -> float:
        link = self._links.get(link_id)
        return max(0.0, link.expires - self.clock()) if link and not link.revoked else 0.0

    async def revoke(self, link_id: str) -> bool:
        """End a link now: its cookie stops working and its open sockets are told to close;
        the revocation is saved before this returns."""
        link = self._links.get(link_id)
        if link is None or (link.revoked and link_id not in self._unsaved):
            return False
        link.revoked = True
        for stop in self._stops.pop(link_id, set()):
            stop.set()
        self.presence.changed(link.session_id)
        if self._rows is not None:
            try:
                await self._rows.revoke(link_id, self.clock())
            except BaseException:
                # Ended in memory already; until the row says so too, the link stays listed so a
                # retry writes it again (else the next server would honour the link). Marked only
                # on failure: a list rendered while the write is under way must not show it.
                self._unsaved.add(link_id)
                self.presence.changed(link.session_id)
                raise
            self._unsaved.discard(link_id)
        return True

    def connected(self, link_id: str) -> int:
        """How many sockets the link has open (presence)."""
        return len(self._stops.get(link_id, ()))

    def attach(self, link_id: str, stop: asyncio.Event) -> None:
        self._stops.setdefault(link_id, set()).add(stop)
        if not self.is_live(link_id):
            stop.set()

    def detach(self, link_id: str, stop: asyncio.Event) -> None:
        self._stops.get(link_id, set()).discard(stop)

    def guest_id_cookie_header(self, link: ShareLink, headers: Mapping[str, str]) -> str:
        """The cookie that tells this guest's browser apart in the presence list."""
        cookies = cookie_parser(headers.get("cookie") or "")
        guest_id = valid_guest_id(cookies.get(guest_cookie_name(self.port))) or new_guest_id()
        return guest_cookie_header(self.port, guest_id, int(link.expires - self.clock()))

    def set_cookie_header(self, issued_token: str, link: ShareLink) -> str:
        max_age = max(1, int(link.expires - self.clock()))
        return (
            f"{self.cookie_name}={issued_token}; HttpOnly; SameSite=Strict; Path=/; "
            f"Max-Age={max_age}"
        )
