"""A real MCP server written with the SDK, for tests: `python -m tests.support.mcp_test_server`.

`--transport stdio` (default) talks over stdin/stdout; `--transport http` serves streamable HTTP on
127.0.0.1 on a free port and prints `PORT <n>` on stdout once it listens. `--behavior` picks a
misbehaviour: `crash` (the `crash` tool kills the process), `hang-start` (never answers the
handshake), `flood` (floods stderr on start). Every server has `echo`, `add`, `crash`, `hang` and
`flood` tools.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import time

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError


def build_server(name: str) -> MCPServer:
    server = MCPServer(name)

    @server.tool()
    def echo(text: str) -> str:
        """Echo the text back, prefixed with the server's name."""
        return f"{name} says: {text} (env MCP_TEST_TOKEN={os.environ.get('MCP_TEST_TOKEN', '-')})"

    @server.tool()
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    @server.tool()
    def crash() -> str:
        """Kill the server process while answering."""
        os._exit(3)

    @server.tool()
    async def hang() -> str:
        """Never answer."""
        await anyio.sleep(3600)
        return "unreachable"

    @server.tool()
    def flood(kilobytes: int = 2048) -> str:
        """Return a very long text."""
        return "flood-line " * (kilobytes * 1024 // 11)

    @server.tool()
    def fail(reason: str) -> str:
        """Fail with the given reason."""
        raise ToolError(f"failed on purpose: {reason}")

    return server


def serve_http(server: MCPServer) -> None:
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    app = server.streamable_http_app(host="127.0.0.1")
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    uvicorn.Server(config).run(sockets=[sock])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", default="srv")
    parser.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    parser.add_argument("--behavior", choices=["normal", "hang-start", "flood"], default="normal")
    options = parser.parse_args()
    if options.behavior == "hang-start":
        time.sleep(3600)
    if options.behavior == "flood":
        for _ in range(20_000):
            sys.stderr.write("noise " * 20 + "\n")
        sys.stderr.flush()
    server = build_server(options.name)
    if options.transport == "http":
        serve_http(server)
    else:
        server.run("stdio")


if __name__ == "__main__":
    main()
