"""Running `codesm web`: bind loopback (and the LAN address when sharing), print the launch URL
once and what is exposed, serve until Ctrl+C."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import socket
import threading
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from codesm.security.redact import Redactor, install_log_redaction
from codesm.web.app import create_app
from codesm.web.auth import new_owner_token
from codesm.web.config import WebConfig
from codesm.web.lan import ShareUnavailable, primary_ipv4
from codesm.web.sharing import DEFAULT_TTL_S

TOKEN_ENV = "CODESM_WEB_TOKEN"
GRACEFUL_SHUTDOWN_S = 5
_LOOPBACK_BINDS = {"127.0.0.1": "127.0.0.1", "localhost": "127.0.0.1", "::1": "::1", "[::1]": "::1"}


class WebStartError(Exception):
    """The server cannot start; the message says what the user should do."""


@dataclass(frozen=True, slots=True)
class ShareOptions:
    """`--share` and friends. `host` None: this machine's primary IPv4, found when needed."""

    at_start: bool = False
    host: str | None = None
    ttl_s: float = DEFAULT_TTL_S
    controller: bool = False


class _Server(uvicorn.Server):
    """uvicorn's server, able to listen on one more socket while it runs (the Share button)."""

    async def listen_also(self, sock: socket.socket) -> None:
        config = self.config
        loop = asyncio.get_running_loop()

        def create_protocol(_loop: asyncio.AbstractEventLoop | None = None) -> asyncio.Protocol:
            return config.http_protocol_class(  # type: ignore[call-arg]
                config=config,
                server_state=self.server_state,
                app_state=self.lifespan.state,
                _loop=_loop,
            )

        server = await loop.create_server(create_protocol, sock=sock, backlog=config.backlog)
        self.servers.append(server)


def loopback_bind_address(host: str) -> str:
    """The address to bind for `--host`, or ValueError when it would leave this machine."""
    bind = _LOOPBACK_BINDS.get(host.strip().lower())
    if bind is not None:
        return bind
    try:
        loopback = ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        loopback = False
    if loopback:
        raise ValueError(f"{host} is a loopback address, but codesm web serves 127.0.0.1 or ::1")
    raise ValueError(
        f"refusing to listen on {host}: that would expose your files and a shell to the network. "
        "codesm web binds 127.0.0.1 only. To show a session on your LAN use `--share` (it "
        "binds your LAN address too, with expiring read-only links; `--share-host ADDR` picks "
        "the address)."
    )


def serve(
    workspace: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    open_browser: bool = True,
    echo: Callable[[str], None] = lambda line: print(line, flush=True),
    sharing: ShareOptions = ShareOptions(),
    mcp_config: str | None = None,
    strict_mcp_config: bool = False,
    notifications: bool | None = None,
    max_budget_usd: float | None = None,
) -> int:
    """Serve `workspace` until interrupted; returns the process exit status."""
    bind = loopback_bind_address(host)
    if not workspace.is_dir():
        raise WebStartError(f"not a directory: {workspace}")
    token = os.environ.get(TOKEN_ENV) or new_owner_token()
    if len(token) < 32:
        raise WebStartError(f"{TOKEN_ENV} must be at least 32 characters")
    lan_host = sharing.host
    if sharing.at_start and lan_host is None:
        try:
            lan_host = primary_ipv4()
        except ShareUnavailable as exc:
            raise WebStartError(str(exc)) from exc
    sock = _bind(bind, port)
    sockets = [sock]
    try:
        if sharing.at_start and lan_host is not None:
            sockets.append(_bind(lan_host, sock.getsockname()[1]))
        config = WebConfig(
            workspace=workspace.resolve(),
            port=sock.getsockname()[1],
            owner_token=token,
            host=bind,
            share_at_start=sharing.at_start,
            share_host=lan_host,
            share_controller=sharing.controller,
            share_ttl_s=sharing.ttl_s,
            mcp_config=mcp_config,
            strict_mcp_config=strict_mcp_config,
            notifications=notifications,
            max_budget_usd=max_budget_usd,
        )
        url = f"http://{_url_host(bind)}:{config.port}/?token={token}"
        echo(f"codesm web: {url}")
        echo(f"  workspace: {config.workspace}")
        if sharing.at_start:
            echo(
                f"  listening on {bind} and {lan_host} (your LAN) port {config.port}. The URL "
                "above is a password, for you only; the share links below show one session."
            )
        else:
            echo(
                f"  listening on {bind} port {config.port}: this machine only. The URL is a "
                "password; anyone who has it can use this workspace as you. Ctrl+C stops the "
                "server."
            )
        if open_browser:
            threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()

        async def bind_lan(address: str) -> None:
            await server.listen_also(_bind_socket(address, config.port))

        server = _Server(
            uvicorn.Config(
                create_app(config, lan_binder=bind_lan, echo=echo),
                host=bind,
                port=config.port,
                log_level="warning",
                ws="websockets-sansio",
                ws_max_size=config.max_ws_message_bytes,
                proxy_headers=False,
                server_header=False,
                timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
            )
        )
        redactor = Redactor.for_environment(workspace=config.workspace)
        for name in ("", "uvicorn", "uvicorn.error", "uvicorn.access"):
            install_log_redaction(redactor, logging.getLogger(name))
        # uvicorn re-raises the Ctrl+C it has already handled by shutting down.
        with contextlib.suppress(KeyboardInterrupt):
            server.run(sockets=sockets)
    finally:
        for bound in sockets:
            bound.close()
    echo("codesm web: stopped")
    return 0


def _bind(host: str, port: int) -> socket.socket:
    """Bind before building the app: the Host allowlist needs the real port."""
    try:
        return _bind_socket(host, port)
    except OSError as exc:
        raise WebStartError(f"cannot listen on {host} port {port}: {exc.strerror}") from exc


def _bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if os.name == "posix":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def _url_host(bind: str) -> str:
    return f"[{bind}]" if ":" in bind else bind
