"""Which Host and Origin values this server answers to.

A strict parser of its own: Starlette's TrustedHostMiddleware splits on the first ':' and so
cannot tell `[::1]:8000` from garbage. Anything that is not exactly a served name with the served
port is refused: `127.1`, `2130706433`, `[::ffff:127.0.0.1]` and `127.0.0.1.nip.io` all reach
loopback but are not names this server gave out, so they are what a DNS-rebinding page would send.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_IPV6_LITERAL = re.compile(r"\[[0-9a-f:.]{2,45}\]")
_PORT = re.compile(r"[1-9][0-9]{0,4}")
_MAX_HOST_HEADER = 300


def parse_authority(value: str) -> tuple[str, int | None] | None:
    """Split a Host header into (lower-cased host, port or None), or None if it is malformed.

    Accepts only `name`, `name:port`, `[v6]` and `[v6]:port`; no userinfo, no whitespace, no
    leading zeros in the port, no trailing dot.
    """
    if not value or len(value) > _MAX_HOST_HEADER or not value.isascii():
        return None
    value = value.lower()
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        host, rest = value[: end + 1], value[end + 1 :]
        if not _IPV6_LITERAL.fullmatch(host):
            return None
    else:
        host, colon, port_text = value.partition(":")
        rest = colon + port_text
        if not _HOST_NAME.fullmatch(host):
            return None
    if not rest:
        return host, None
    if not rest.startswith(":") or not _PORT.fullmatch(rest[1:]):
        return None
    port = int(rest[1:])
    return (host, port) if port <= 65535 else None


@dataclass(frozen=True, slots=True)
class ServedHosts:
    """The names and port the server answers to, and the browser origins they make."""

    port: int
    names: frozenset[str]

    @classmethod
    def for_port(cls, port: int, extra_names: Iterable[str] = ()) -> ServedHosts:
        names = set(LOOPBACK_NAMES)
        for raw in extra_names:
            parsed = parse_authority(raw)
            if parsed is None or parsed[1] is not None:
                raise ValueError(f"not a host name (no port, no scheme): {raw!r}")
            names.add(parsed[0])
        return cls(port=port, names=frozenset(names))

    def allows_host(self, header: str | None) -> bool:
        """True when a Host header names this server exactly (port included)."""
        if header is None:
            return False
        parsed = parse_authority(header)
        if parsed is None:
            return False
        host, port = parsed
        return host in self.names and (port if port is not None else 80) == self.port

    @property
    def origins(self) -> frozenset[str]:
        """Origins as browsers serialise them for pages served from here (`http://host:port`)."""
        suffix = "" if self.port == 80 else f":{self.port}"
        return frozenset(f"http://{name}{suffix}" for name in self.names)

    def allows_origin(self, header: str | None) -> bool:
        """True when an Origin header is exactly one of the served origins; a missing one is not."""
        return header is not None and header in self.origins
