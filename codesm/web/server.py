"""Running `codesm web`: bind loopback, print the launch URL once, serve until Ctrl+C."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path

import uvicorn

from codesm.web.app import create_app
from codesm.web.auth import new_owner_token
from codesm.web.config import WebConfig

TOKEN_ENV = "CODESM_WEB_TOKEN"
GRACEFUL_SHUTDOWN_S = 5
_LOOPBACK_BINDS = {"127.0.0.1": "127.0.0.1", "localhost": "127.0.0.1", "::1": "::1", "[::1]": "::1"}


class WebStartError(Exception):
    """The server cannot start; the message says what the user should do."""


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
        "codesm web binds 127.0.0.1 only; sharing on the LAN will need `--share` (with its own "
        "tokens), which is not built yet."
    )


def serve(
    workspace: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    open_browser: bool = True,
    echo: Callable[[str], None] = lambda line: print(line, flush=True),
) -> int:
    """Serve `workspace` until interrupted; returns the process exit status."""
    bind = loopback_bind_address(host)
    if not workspace.is_dir():
        raise WebStartError(f"not a directory: {workspace}")
    token = os.environ.get(TOKEN_ENV) or new_owner_token()
    if len(token) < 32:
        raise WebStartError(f"{TOKEN_ENV} must be at least 32 characters")
    sock = _bind(bind, port)
    try:
        config = WebConfig(
            workspace=workspace.resolve(), port=sock.getsockname()[1], owner_token=token, host=bind
        )
        url = f"http://{_url_host(bind)}:{config.port}/?token={token}"
        echo(f"codesm web: {url}")
        echo(f"  workspace: {config.workspace}")
        echo(
            f"  listening on {bind} port {config.port}: this machine only. The URL is a password; "
            "anyone who has it can use this workspace as you. Ctrl+C stops the server."
        )
        if open_browser:
            threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(config),
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
        # uvicorn re-raises the Ctrl+C it has already handled by shutting down.
        with contextlib.suppress(KeyboardInterrupt):
            server.run(sockets=[sock])
    finally:
        sock.close()
    echo("codesm web: stopped")
    return 0


def _bind(host: str, port: int) -> socket.socket:
    """Bind before building the app: the Host allowlist needs the real port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if os.name == "posix":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise WebStartError(f"cannot listen on {host} port {port}: {exc.strerror}") from exc
    return sock


def _url_host(bind: str) -> str:
    return f"[{bind}]" if ":" in bind else bind
