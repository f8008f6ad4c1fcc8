"""Config entries and a live HTTP server for the real MCP test server (`mcp_test_server`)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]


def stdio_entry(name: str = "srv", *, behavior: str = "normal", **extra: Any) -> dict[str, Any]:
    """An `.mcp.json` entry that starts the test server over stdio."""
    args = ["-m", "tests.support.mcp_test_server", "--name", name, "--behavior", behavior]
    return {"command": sys.executable, "args": args, "env": {"PYTHONPATH": str(REPO_ROOT)}, **extra}


@contextmanager
def http_server(
    name: str = "web", *, oauth: bool = False, expires: int = 3600, revocation: bool = False
) -> Iterator[str]:
    """The test server on streamable HTTP on 127.0.0.1; yields its MCP URL. `oauth` serves the
    OAuth-protected one (`mcp_oauth_server`), whose tokens live `expires` seconds and, with
    `revocation`, can be revoked (RFC 7009)."""
    if oauth:
        args = ["tests.support.mcp_oauth_server", "--name", name, "--expires", str(expires)]
        args += ["--revocation"] if revocation else []
    else:
        args = ["tests.support.mcp_test_server", "--transport", "http", "--name", name]
    process = subprocess.Popen(
        [sys.executable, "-m", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=REPO_ROOT,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("PORT "), f"the HTTP MCP server did not start: {line!r}"
        yield f"http://127.0.0.1:{int(line.split()[1])}/mcp"
    finally:
        process.kill()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
