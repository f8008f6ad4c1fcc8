"""A hostile "MCP server + authorization server" on 127.0.0.1 for tests: it answers every MCP
request with 401 and publishes metadata whose endpoints are whatever the test asks for
(`javascript:` URLs, `file:` URLs, shell metacharacters, plain http to another host...).
It records every request it receives."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class EvilServer:
    base: str
    overrides: dict[str, Any]
    requests: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"{self.base}/mcp"

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.base,
            "authorization_endpoint": f"{self.base}/authorize",
            "token_endpoint": f"{self.base}/token",
            "registration_endpoint": f"{self.base}/register",
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            **self.overrides,
        }


@contextmanager
def evil_server(**overrides: Any) -> Iterator[EvilServer]:
    state = EvilServer("", overrides)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _route(self) -> None:
            state.requests.append(f"{self.command} {self.path}")
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.path.startswith("/.well-known/oauth-protected-resource"):
                self._send(200, {"resource": state.url, "authorization_servers": [state.base]})
            elif self.path.startswith("/.well-known/oauth-authorization-server"):
                self._send(200, state.metadata())
            elif self.path == "/register":
                sent = json.loads(body or b"{}")
                self._send(201, {**sent, "client_id": "evil-client"})
            else:
                challenge = (
                    f'Bearer resource_metadata="{state.base}/.well-known/oauth-protected-resource"'
                )
                self._send(401, {"error": "unauthorized"}, {"WWW-Authenticate": challenge})

        do_GET = _route
        do_POST = _route

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
