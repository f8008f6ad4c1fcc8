"""Sharing on the LAN: the second address the server listens on, the names it then answers to,
the links printed for it, and the advertisement `codesm threads share` reads.

Off until `codesm web --share` or the owner's Share button. Turning it on binds the LAN address
(the primary non-loopback IPv4 unless `--share-host` names one) on the same port, adds it to the
Host allowlist and issues links for one session. Nothing else becomes reachable: every route but
that session's page and socket still needs the owner cookie (see `roles.py`).
"""

from __future__ import annotations

import contextlib
import io
import ipaddress
import json
import os
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import segno

from codesm.threads.share import share_dir
from codesm.web.hosts import ServedHosts
from codesm.web.roles import Role
from codesm.web.sharing import IssuedLink, ShareRegistry

LanBinder = Callable[[str], Awaitable[None]]
"""Starts listening on one more address (the server's port); raises OSError if it cannot."""


class ShareUnavailable(Exception):
    """Sharing cannot be turned on; the message says why and what to do."""


def primary_ipv4() -> str:
    """This machine's primary non-loopback IPv4 address.

    Connecting a UDP socket sends nothing; it only asks the kernel which source address a route
    to a private network would use.
    """
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("10.255.255.255", 1))
        address = str(probe.getsockname()[0])
        if not ipaddress.ip_address(address).is_loopback and address != "0.0.0.0":
            return address
    with contextlib.suppress(OSError):
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            address = str(info[4][0])
            if not ipaddress.ip_address(address).is_loopback:
                return address
    raise ShareUnavailable(
        "no LAN address found on this machine; pass --share-host with the address to share on"
    )


def share_host_address(value: str) -> str:
    """`--share-host`: an IPv4 address (ValueError otherwise)."""
    address = ipaddress.ip_address(value.strip())
    if not isinstance(address, ipaddress.IPv4Address) or address.is_unspecified:
        raise ValueError(f"--share-host must be one IPv4 address of this machine, not {value!r}")
    return str(address)


QR_HEADING = "  scan with a phone on the same network to open the viewer link:"


def qr_lines(url: str, encoding: str | None = None) -> list[str]:
    """`url` as a QR code for the terminal, one string per row (segno's compact rendering).

    Where the terminal cannot show block characters (`encoding` given and unable to encode
    them), the same modules are drawn with `#`, two columns per module.
    """
    qr = segno.make(url)
    if encoding is None or _can_encode("\u2588\u2580\u2584", encoding):
        out = io.StringIO()
        qr.terminal(out=out, compact=True)
        return out.getvalue().rstrip("\n").split("\n")
    return ["".join("  " if dark else "##" for dark in row) for row in qr.matrix_iter(border=2)]


def _can_encode(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


@dataclass(frozen=True, slots=True)
class SharedLinks:
    session_id: str
    viewer: IssuedLink
    controller: IssuedLink | None


class LanShare:
    """Whether and where the server is reachable on the LAN, and the links it handed out."""

    def __init__(
        self,
        *,
        port: int,
        registry: ShareRegistry,
        base_hosts: tuple[str, ...] = (),
        share_host: str | None = None,
        bound_host: str | None = None,
        binder: LanBinder | None = None,
        workspace: Path | None = None,
        echo: Callable[[str], None] | None = None,
    ) -> None:
        self.port = port
        self.registry = registry
        self.share_host = share_host
        self.lan_host = bound_host
        self.binder = binder
        self.workspace = workspace
        self.echo = echo
        self._base_hosts = base_hosts
        self.hosts = ServedHosts.for_port(port, self._names())
        self._advert: Path | None = None

    def _names(self) -> tuple[str, ...]:
        return self._base_hosts + ((self.lan_host,) if self.lan_host else ())

    @property
    def active(self) -> bool:
        return self.lan_host is not None

    def url(self, path: str) -> str:
        return f"http://{self.lan_host or '127.0.0.1'}:{self.port}{path}"

    async def enable(self) -> str:
        """Listen on the LAN address too (once); returns it."""
        if self.lan_host is not None:
            return self.lan_host
        if self.binder is None:
            raise ShareUnavailable(
                "this server cannot listen on the LAN (not started by codesm web)"
            )
        host = self.share_host or primary_ipv4()
        try:
            await self.binder(host)
        except OSError as exc:
            raise ShareUnavailable(f"cannot listen on {host} port {self.port}: {exc}") from exc
        self.lan_host = host
        self.hosts = ServedHosts.for_port(self.port, self._names())
        return host

    async def share(self, session_id: str, *, controller: bool, title: str = "") -> SharedLinks:
        """Turn sharing on if needed and issue the links for one session; prints what is exposed."""
        host = await self.enable()
        viewer = await self.registry.issue(session_id, Role.VIEWER)
        boss = await self.registry.issue(session_id, Role.CONTROLLER) if controller else None
        self._advertise(session_id, viewer)
        if self.echo is not None:
            for line in self.describe(host, SharedLinks(session_id, viewer, boss), title):
                self.echo(line)
        return SharedLinks(session_id, viewer, boss)

    def describe(self, host: str, links: SharedLinks, title: str) -> list[str]:
        hours = (links.viewer.link.expires - time.time()) / 3600
        until = time.strftime("%H:%M", time.localtime(links.viewer.link.expires))
        lines = [
            f"  sharing on the LAN: {host} port {self.port} now answers too, until {until} "
            f"({hours:.1f} h) unless revoked on the Shares panel.",
            f"  exposed: session {links.session_id} {title!r}, its page and live stream only, "
            "to holders of these links (secrets redacted); everything else still needs the "
            "owner token.",
            f"  viewer link (read-only): {self.url(links.viewer.path())}",
        ]
        if links.controller is not None:
            lines.append(
                f"  controller link (can chat and approve): {self.url(links.controller.path())}"
            )
        lines.append(QR_HEADING)
        lines.extend(qr_lines(self.url(links.viewer.path()), sys.stdout.encoding))
        return lines

    def _advertise(self, session_id: str, viewer: IssuedLink) -> None:
        """Tell `codesm threads share` where the viewer link is (a 0600 file, removed at exit)."""
        directory = share_dir()
        with contextlib.suppress(OSError):
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            path = directory / f"{os.getpid()}.json"
            data = {
                "pid": os.getpid(),
                "workspace": str(self.workspace) if self.workspace else None,
                "session_id": session_id,
                "session_url": self.url(f"/s/{{session_id}}?share={viewer.token}"),
            }
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                json.dump(data, file)
            self._advert = path

    def withdraw(self) -> None:
        if self._advert is not None:
            with contextlib.suppress(OSError):
                self._advert.unlink()
            self._advert = None
