"""A hostile authorization server answers the logout's revocation with terminal control
sequences (OSC 52 writes the clipboard, CSI 2J clears the screen): what `codesm mcp oauth logout`
prints about it is plain text."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from mcp.shared.auth import OAuthToken

from codesm.mcp.oauth import token_file
from tests.unit.test_mcp_cli import invoke
from tests.unit.test_mcp_oauth import server_config

HOSTILE = "\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J\x9b31m refused \u202e"


class HostileAuthServer(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/.well-known/oauth-authorization-server"):
            base = f"http://{self.headers['host']}"
            body = json.dumps({"issuer": base, "revocation_endpoint": f"{base}/revoke"})
            self._answer(200, body, "application/json")
        else:
            self._answer(404, "{}", "application/json")

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        self._answer(400, HOSTILE, "text/plain; charset=utf-8")

    def _answer(self, status: int, body: str, kind: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def hostile_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), HostileAuthServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/mcp"
    finally:
        server.shutdown()
        server.server_close()


def test_a_revocation_error_full_of_control_sequences_is_printed_without_them(
    tmp_path: Path, hostile_url: str
) -> None:
    assert invoke(tmp_path, "mcp", "add", "--transport", "http", "secure", hostile_url)[0] == 0
    tokens = OAuthToken(access_token="acc-1", token_type="Bearer", refresh_token="ref-1")
    asyncio.run(token_file(server_config(hostile_url)).set_tokens(tokens))
    code, out = invoke(tmp_path, "mcp", "oauth", "logout", "secure")
    assert code == 0, out
    assert "token failed (HTTP 400" in out and "refused" in out
    assert not [ch for ch in out if ch not in "\n\t" and (ord(ch) < 32 or 127 <= ord(ch) < 160)]
    assert "\u202e" not in out
    assert not token_file(server_config(hostile_url)).exists()
