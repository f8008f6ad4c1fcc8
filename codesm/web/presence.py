"""Who is connected to a shared session right now, for the owner's Shares panel.

Every session socket joins when it opens and leaves when it ends. A guest is labelled with the
name it chose (untrusted: control characters dropped, whitespace collapsed, at most
`NAME_CHARS` characters; templates escape it) or else "guest N", numbered per session in order of
arrival. A guest is one browser, known by a random cookie set when it traded its link for the
share cookie, so its tabs and reloads keep one label. The owner's own tabs are listed as such.

Watchers (the owner's open sockets) get an `asyncio.Event` set on every change and re-render.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import secrets
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from codesm.web.roles import Principal, Role

NAME_CHARS = 40
MAX_REMEMBERED = 256
"""Browsers whose number and name a session keeps after they disconnect."""
GUEST_COOKIE_PREFIX = "codesm_guest_"
_GUEST_ID = re.compile(r"[0-9a-f]{24}")


def clean_name(raw: object) -> str:
    """A guest's chosen name made safe to keep and show ("" for none)."""
    if not isinstance(raw, str):
        return ""
    kept = "".join(" " if ch.isspace() else ch for ch in raw[: NAME_CHARS * 8]
                   if ch.isspace() or not unicodedata.category(ch).startswith("C"))  # fmt: skip
    return " ".join(kept.split())[:NAME_CHARS].strip()


def guest_cookie_name(port: int) -> str:
    return f"{GUEST_COOKIE_PREFIX}{port}"


def new_guest_id() -> str:
    return secrets.token_hex(12)


def valid_guest_id(value: str | None) -> str | None:
    return value if value is not None and _GUEST_ID.fullmatch(value) else None


def guest_cookie_header(port: int, guest_id: str, max_age: int) -> str:
    return (
        f"{guest_cookie_name(port)}={guest_id}; HttpOnly; SameSite=Strict; Path=/; "
        f"Max-Age={max(1, max_age)}"
    )


@dataclass(slots=True)
class Visitor:
    """One open session socket."""

    key: int
    session_id: str
    role: Role
    link_id: str | None
    browser: str
    """The guest's browser id, or a key of this socket alone."""
    address: str
    since: float
    label: str = ""

    @property
    def is_owner(self) -> bool:
        return self.role is Role.OWNER

    def since_label(self) -> str:
        return time.strftime("%H:%M", time.localtime(self.since))


class Presence:
    """The open sockets of every session, labelled."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._keys = itertools.count(1)
        self._visitors: dict[int, Visitor] = {}
        self._names: dict[tuple[str, str], str] = {}
        # Guest numbers per session: browser -> number (insertion-ordered), and the next number.
        self._numbers: dict[str, dict[str, int]] = {}
        self._next_number: dict[str, int] = {}
        self._watchers: dict[str, set[asyncio.Event]] = {}

    def join(
        self, session_id: str, principal: Principal, *, address: str, guest_id: str | None
    ) -> Visitor:
        key = next(self._keys)
        browser = valid_guest_id(guest_id) or f"socket-{key}"
        visitor = Visitor(
            key, session_id, principal.role, principal.link_id, browser, address, self.clock()
        )
        if principal.is_guest:
            numbers = self._numbers.setdefault(session_id, {})
            if browser not in numbers:
                numbers[browser] = self._next_number[session_id] = (
                    self._next_number.get(session_id, 0) + 1
                )
                self._forget_departed(session_id)
        self._visitors[key] = visitor
        self._relabel(visitor)
        self.changed(session_id)
        return visitor

    def leave(self, visitor: Visitor) -> None:
        if self._visitors.pop(visitor.key, None) is not None:
            self.changed(visitor.session_id)

    def name(self, visitor: Visitor, raw: object) -> str:
        """Set the name `visitor`'s browser shows as (all its tabs); returns it cleaned."""
        name = clean_name(raw)
        seen = (visitor.session_id, visitor.browser)
        if name:
            self._names[seen] = name
        else:
            self._names.pop(seen, None)
        for other in self._visitors.values():
            if (other.session_id, other.browser) == seen:
                self._relabel(other)
        self.changed(visitor.session_id)
        return name

    def chosen_name(self, session_id: str, guest_id: str | None) -> str:
        """The name a browser chose earlier in this server's life ("" for none)."""
        browser = valid_guest_id(guest_id)
        return self._names.get((session_id, browser), "") if browser else ""

    def _forget_departed(self, session_id: str) -> None:
        """Past `MAX_REMEMBERED` browsers on a session, forget the oldest that are not connected:
        a guest can send any well-formed browser id, and each new one would otherwise be kept
        (with its name) for the server's life."""
        numbers = self._numbers[session_id]
        if len(numbers) <= MAX_REMEMBERED:
            return
        connected = {v.browser for v in self._visitors.values() if v.session_id == session_id}
        for browser in [b for b in numbers if b not in connected][: len(numbers) - MAX_REMEMBERED]:
            del numbers[browser]
            self._names.pop((session_id, browser), None)

    def _relabel(self, visitor: Visitor) -> None:
        seen = (visitor.session_id, visitor.browser)
        if visitor.is_owner:
            visitor.label = "you (owner)"
        else:
            number = self._numbers.get(visitor.session_id, {}).get(visitor.browser, 0)
            visitor.label = self._names.get(seen) or f"guest {number}"

    def visitors(self, session_id: str) -> list[Visitor]:
        """Who is on `session_id` now, in order of arrival."""
        return [v for v in self._visitors.values() if v.session_id == session_id]

    def watch(self, session_id: str) -> asyncio.Event:
        changed = asyncio.Event()
        self._watchers.setdefault(session_id, set()).add(changed)
        return changed

    def unwatch(self, session_id: str, changed: asyncio.Event) -> None:
        self._watchers.get(session_id, set()).discard(changed)

    def changed(self, session_id: str) -> None:
        """Tell the session's watchers to render the panel again (links or visitors changed)."""
        for event in self._watchers.get(session_id, ()):
            event.set()
