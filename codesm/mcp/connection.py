"""One MCP server's life: start, list tools, call them with a timeout, restart after a crash.

A supervisor task owns the SDK `Client` (its task groups must be entered and left by one task)
and restarts the server with exponential backoff when it dies; callers in other tasks only see a
ready client or a `ToolFailure` the model can read. Nothing a server does (crash, hang, flood,
garbage) raises out of this module into the agent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TextIO

import anyio
import httpx2
import mcp_types as types
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from codesm import __version__
from codesm.errors import ToolFailure
from codesm.mcp.config import McpServerConfig

log = logging.getLogger(__name__)

__all__ = ["McpConnection", "McpLimits", "McpUnavailable", "ServerState", "ServerStatus"]

ServerState = Literal["stopped", "starting", "ready", "restarting", "failed", "needs_login"]
_CONNECTION_CLOSED = -32000
_REQUEST_TIMEOUT = -32001
_MAX_TOOL_PAGES = 50
_PERMANENT = (FileNotFoundError, PermissionError, NotADirectoryError)


@dataclass(frozen=True)
class McpLimits:
    """Timeouts and caps for MCP servers (`MCP_TIMEOUT` / `MCP_TOOL_TIMEOUT` in ms, as in
    Claude Code, override the first two)."""

    start_timeout_s: float = 30.0
    call_timeout_s: float = 120.0
    max_output_chars: int = 512 * 1024
    max_restarts: int = 5
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    health_interval_s: float = 1.0
    stderr_tail_bytes: int = 8 * 1024
    login_poll_s: float = 2.0
    """How often a server that needs an OAuth login looks for the tokens of `codesm mcp oauth
    login` (a stat of one file), instead of retrying a connection that cannot succeed."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> McpLimits:
        def seconds(name: str, default: float) -> float:
            try:
                value = float(env[name]) / 1000
            except (KeyError, ValueError):
                return default
            return value if value > 0 else default

        return cls(
            start_timeout_s=seconds("MCP_TIMEOUT", cls.start_timeout_s),
            call_timeout_s=seconds("MCP_TOOL_TIMEOUT", cls.call_timeout_s),
        )


class McpUnavailable(ToolFailure):
    """An MCP call could not be answered (server down, crashed, timed out); the model reads it."""


@dataclass(frozen=True)
class ServerStatus:
    name: str
    source: str
    transport: str
    target: str
    state: ServerState
    error: str | None
    tools: tuple[str, ...]
    restarts: int
    stderr_tail: str


class _StderrTail:
    """Keeps the last bytes a stdio server wrote to stderr: a flood costs bounded memory, and
    `doctor` can show why a server died."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._buffer = bytearray()
        self._transport: asyncio.ReadTransport | None = None

    async def open_writer(self) -> TextIO:
        self.close()
        read_fd, write_fd = os.pipe()
        tail = self

        class _Reader(asyncio.Protocol):
            def data_received(self, data: bytes) -> None:
                tail._buffer += data
                if len(tail._buffer) > tail._limit:
                    del tail._buffer[: len(tail._buffer) - tail._limit]

        loop = asyncio.get_running_loop()
        pipe = os.fdopen(read_fd, "rb", buffering=0)
        self._transport, _ = await loop.connect_read_pipe(_Reader, pipe)
        return os.fdopen(write_fd, "w", encoding="utf-8")

    def text(self) -> str:
        return self._buffer.decode("utf-8", errors="replace").strip()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None


def describe_error(exc: BaseException) -> str:
    """The innermost useful message of an exception (group), for users and the model."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, MCPError) and exc.code == _REQUEST_TIMEOUT:
        return "the server did not answer in time"
    text = str(exc).strip() or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if not isinstance(exc, MCPError) else text


def _permanent(exc: BaseException) -> bool:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return isinstance(exc, _PERMANENT)


def _needs_login(exc: BaseException) -> bool:
    """Whether an OAuth login is what the server wants, however the SDK and anyio wrapped it."""
    from codesm.mcp.oauth import LoginRequired

    pending: list[BaseException] = [exc]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, LoginRequired):
            return True
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return False


def _consume(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()


class McpConnection:
    """A supervised connection to one server; `start`, `call`, `status`, `aclose`."""

    def __init__(self, config: McpServerConfig, *, cwd: Path, limits: McpLimits) -> None:
        self.config = config
        self.cwd = cwd
        self.limits = limits
        self.state: ServerState = "stopped"
        self.error: str | None = None
        self.tools: list[types.Tool] = []
        self.restarts = 0
        self._client: Client | None = None
        self._changed = asyncio.Condition()
        self._settled = asyncio.Event()
        self._dead = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self._stderr = _StderrTail(limits.stderr_tail_bytes)
        self._scope: anyio.CancelScope | None = None
        self._reached_ready = False

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def closing(self) -> bool:
        return self._closing

    def status(self) -> ServerStatus:
        c = self.config
        return ServerStatus(
            c.name,
            c.source,
            c.transport,
            c.target,
            self.state,
            self.error,
            tuple(t.name for t in self.tools),
            self.restarts,
            self._stderr.text(),
        )

    def start(self) -> None:
        """Start the supervisor (idempotent); the server comes up in the background."""
        if self._task is None:
            self.state = "starting"  # what a status shows before the task first runs
            self._task = asyncio.create_task(self._supervise(), name=f"mcp-{self.name}")

    async def wait_started(self, timeout_s: float | None = None) -> bool:
        """Wait until the first start attempt succeeded or failed; True when ready."""
        self.start()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._settled.wait(), timeout_s or self.limits.start_timeout_s)
        return self.state == "ready"

    async def _set_state(self, state: ServerState) -> None:
        async with self._changed:
            self.state = state
            self._changed.notify_all()

    async def _supervise(self) -> None:
        failures = 0
        while not self._closing:
            self._dead = asyncio.Event()
            self._reached_ready = False
            login = False
            try:
                await self._run_once()
            except Exception as exc:  # any server fault ends here, never in the agent
                self.error = describe_error(exc)
                log.warning("MCP server %r stopped: %s", self.name, self.error)
                if _permanent(exc):
                    failures = self.limits.max_restarts
                login = _needs_login(exc)
            finally:
                self._client = None
            if self.closing:
                break
            if login:
                # Retrying cannot help until the user logs in: wait for the tokens instead.
                await self._wait_for_login()
                failures = 0
                continue
            failures = 1 if self._reached_ready else failures + 1
            if failures > self.limits.max_restarts:
                await self._set_state("failed")
                self._settled.set()
                return
            self._settled.set()
            await self._set_state("restarting")
            delay = min(
                self.limits.backoff_max_s, self.limits.backoff_initial_s * 2 ** (failures - 1)
            )
            await asyncio.sleep(delay)
            self.restarts += 1
        await self._set_state("stopped")

    async def _wait_for_login(self) -> None:
        from codesm.mcp.oauth import token_file

        self.error = f"needs an OAuth login: run `codesm mcp oauth login {self.name}`"
        self._dead = asyncio.Event()  # only aclose wakes this wait early
        await self._set_state("needs_login")
        self._settled.set()
        store = token_file(self.config)
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._dead.wait(), self.limits.login_poll_s)
            if self.closing:
                return
            if await asyncio.to_thread(store.exists):
                log.info("MCP server %r: OAuth tokens found, connecting again", self.name)
                await self._set_state("starting")
                return

    async def _run_once(self) -> None:
        if self.state != "restarting":
            await self._set_state("starting")
        # The SDK's own discover probe waits 10 s whatever the client's timeout: bound the whole
        # start-up with a cancel scope that encloses the client's task groups.
        timeout = self.limits.start_timeout_s
        with anyio.CancelScope() as scope:
            self._scope = scope
            timer = asyncio.get_running_loop().call_later(timeout, scope.cancel)
            try:
                async with AsyncExitStack() as stack:
                    client = await self._open(stack)
                    self.tools = await self._list_tools(client)
                    timer.cancel()
                    self._client, self.error, self._reached_ready = client, None, True
                    await self._set_state("ready")
                    self._settled.set()
                    await self._watch(client)
            finally:
                timer.cancel()
                self._scope = None
        if scope.cancelled_caught and not self._reached_ready and not self.closing:
            raise TimeoutError(f"the server did not start within {timeout:g} s")

    async def _open(self, stack: AsyncExitStack) -> Client:
        c = self.config
        info = types.Implementation(name="codesm", version=__version__)
        timeout = self.limits.start_timeout_s
        if c.transport == "stdio":
            assert c.command is not None
            params = StdioServerParameters(
                command=c.command, args=list(c.args), env=dict(c.env) or None, cwd=self.cwd
            )
            errlog = await self._stderr.open_writer()
            try:
                transport = stdio_client(params, errlog=errlog)
                client = Client(transport, read_timeout_seconds=timeout, client_info=info)
                return await stack.enter_async_context(client)
            finally:
                errlog.close()
        assert c.url is not None
        from codesm.mcp.oauth import auth_for  # tokens of `codesm mcp oauth login`, if any

        http = await stack.enter_async_context(
            httpx2.AsyncClient(
                headers=dict(c.headers),
                auth=auth_for(c),
                timeout=httpx2.Timeout(timeout, read=self.limits.call_timeout_s + 30),
            )
        )
        client = Client(
            streamable_http_client(c.url, http_client=http),
            read_timeout_seconds=timeout,
            client_info=info,
        )
        return await stack.enter_async_context(client)

    async def _list_tools(self, client: Client) -> list[types.Tool]:
        tools: list[types.Tool] = []
        cursor: str | None = None
        for _ in range(_MAX_TOOL_PAGES):
            page = await client.list_tools(cursor=cursor)
            tools.extend(page.tools)
            cursor = page.next_cursor
            if cursor is None:
                break
        return tools

    async def _watch(self, client: Client) -> None:
        """Wait until the connection is declared dead or closed. The SDK has no public "closed"
        signal (and ping is gone in 2026-07-28), so the dispatcher's flag is polled: a stdio
        server that died while idle is restarted before the next call needs it."""
        while not self._dead.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._dead.wait(), self.limits.health_interval_s)
            dispatcher = getattr(client.session, "_dispatcher", None)
            if getattr(dispatcher, "_closed", False) is True:
                self.error = "the server closed the connection"
                return

    async def _ready_client(self, timeout_s: float) -> Client:
        async with self._changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._changed.wait_for(
                        lambda: (
                            self.state in ("ready", "failed", "stopped", "needs_login")
                            or self._closing
                        )
                    ),
                    timeout_s,
                )
        if self.state == "ready" and self._client is not None:
            return self._client
        why = f": {self.error}" if self.error else ""
        if self.state == "failed":
            raise McpUnavailable(f"MCP server {self.name!r} is not running (it failed{why}).")
        if self.state == "needs_login":
            raise McpUnavailable(
                f"MCP server {self.name!r} needs the user to log in (`codesm mcp oauth login "
                f"{self.name}`); its tools cannot be used until then."
            )
        raise McpUnavailable(f"MCP server {self.name!r} is not ready ({self.state}{why}).")

    async def call(self, tool: str, arguments: dict[str, Any]) -> types.CallToolResult:
        """Call one tool; raises `McpUnavailable` (a message for the model) on any failure."""
        self.start()
        timeout = self.config.timeout_s or self.limits.call_timeout_s
        client = await self._ready_client(min(timeout, self.limits.start_timeout_s))
        dead = self._dead
        call = asyncio.create_task(client.call_tool(tool, arguments, read_timeout_seconds=timeout))
        died = asyncio.create_task(dead.wait())
        try:
            done, _ = await asyncio.wait(
                {call, died}, timeout=timeout + 1.0, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for task in (call, died):
                task.add_done_callback(_consume)
                task.cancel()
        if call in done:
            try:
                return call.result()
            except MCPError as exc:
                if exc.code == _REQUEST_TIMEOUT:
                    raise self._timed_out(tool, timeout) from exc
                if exc.code == _CONNECTION_CLOSED:
                    raise self._crashed(tool, "it closed the connection") from exc
                raise McpUnavailable(f"MCP server {self.name!r} rejected the call: {exc}") from exc
            except Exception as exc:
                raise self._crashed(tool, describe_error(exc)) from exc
        if died in done:
            raise self._crashed(tool, self.error or "it stopped")
        raise self._timed_out(tool, timeout)

    def _timed_out(self, tool: str, timeout: float) -> McpUnavailable:
        return McpUnavailable(
            f"The MCP tool {tool!r} on server {self.name!r} did not answer within "
            f"{timeout:g} s; the call was abandoned."
        )

    def _crashed(self, tool: str, why: str) -> McpUnavailable:
        self.error = why
        if self.state == "ready":
            self.state, self._client = "restarting", None
        self._dead.set()
        return McpUnavailable(
            f"MCP server {self.name!r} failed while running {tool!r} ({why}). It is being "
            "restarted; you may retry the call once."
        )

    async def aclose(self) -> None:
        """Stop the server (its process tree for stdio) and the supervisor."""
        self._closing = True
        self._dead.set()
        if self._scope is not None and self.state != "ready":
            self._scope.cancel()
        task, self._task = self._task, None
        if task is not None:
            done, _ = await asyncio.wait({task}, timeout=10.0)
            if not done:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        self._stderr.close()
        self.state = "stopped"
