"""The owner's credentials: launch token, session cookie and CSRF token, compared in constant time.

The Jupyter model: the launch URL carries a random token once; the server trades it for an
HttpOnly, SameSite=Strict cookie and redirects to the same page without it. The cookie value and
the CSRF token are HMACs of the launch token, so neither reveals it and both change every launch
(unless the user pins a token). The cookie name carries the port: browsers share cookies across
ports, and two servers on one machine must not overwrite each other's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

from starlette.requests import cookie_parser

COOKIE_PREFIX = "codesm_owner_"
CSRF_HEADER = "x-csrf-token"


def new_owner_token() -> str:
    """A fresh 256-bit launch token."""
    return secrets.token_urlsafe(32)


def _derive(secret: str, purpose: bytes) -> str:
    digest = hmac.new(secret.encode(), purpose, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _same(candidate: str | None, expected: str) -> bool:
    if candidate is None:
        return False
    return hmac.compare_digest(candidate.encode("utf-8", "replace"), expected.encode())


@dataclass(frozen=True, slots=True)
class OwnerAuth:
    """The three secrets of one launch and the checks on them."""

    token: str = field(repr=False)
    cookie_name: str
    cookie_value: str = field(repr=False)
    csrf_token: str = field(repr=False)

    @classmethod
    def from_token(cls, token: str, *, port: int) -> OwnerAuth:
        cookie_value = _derive(token, b"codesm web owner cookie v1")
        return cls(
            token=token,
            cookie_name=f"{COOKIE_PREFIX}{port}",
            cookie_value=cookie_value,
            csrf_token=_derive(cookie_value, b"codesm web csrf v1"),
        )

    def token_matches(self, candidate: str | None) -> bool:
        return _same(candidate, self.token)

    def cookie_matches(self, cookie_header: str | None) -> bool:
        """True when the Cookie header carries this launch's owner cookie."""
        if not cookie_header:
            return False
        return _same(cookie_parser(cookie_header).get(self.cookie_name), self.cookie_value)

    def csrf_matches(self, candidate: str | None) -> bool:
        return _same(candidate, self.csrf_token)

    def set_cookie_header(self) -> str:
        """A session cookie (no Max-Age): it ends with the browser session."""
        return f"{self.cookie_name}={self.cookie_value}; HttpOnly; SameSite=Strict; Path=/"
