"""A scripted LLM server on 127.0.0.1 that speaks the real wire protocols, for tests.

`ScriptedLLMServer` is a plain asyncio HTTP/1.1 server (real sockets, keep-alive, chunked
responses) running its own event loop in a background thread, so sync and async tests can use it
and the real SDKs talk to it by base URL. It serves:

- Anthropic Messages: `POST /v1/messages` (SSE when `stream: true`, else JSON) and
  `POST /v1/messages/count_tokens`; base URL `server.base_url`.
- OpenAI Chat Completions: `POST /v1/chat/completions` (SSE, a last usage chunk with
  `choices: []` when `stream_options.include_usage`); base URL `server.openai_base_url`.
  OpenRouter's shape at `POST /api/v1/chat/completions` (usage always sent, `usage.cost`,
  `delta.reasoning`); base URL `server.openrouter_base_url`.
- Ollama: `POST /api/chat` (NDJSON, or JSON when `stream: false`) and `GET /api/tags`;
  host `server.base_url`.

Each completion request takes the next item of the script, in order, whatever the endpoint (an
item with `when="marker"` goes to the first request whose last user text contains the marker,
so concurrent agents get deterministic replies; `Turn.delay_s` adds latency):

    server.script(
        Fault("429", retry_after=0.05),
        Turn(text="Let me look.", tool_calls=[ToolCallSpec("read", {"path": "a.py"})],
             usage=UsageSpec(input_tokens=100, cache_read_tokens=50)),
        Fault("cut", turn=Turn(text="half of this arrives"), after_bytes=300),
        Turn(thinking="hmm", text="done"),
    )

`Turn(text, thinking, signature, tool_calls, usage, stop_reason, delta_size, chunk_at)` is one
response; `Fault(kind, turn, retry_after, retry_after_ms, after_bytes, stall_s, message)` is a
failure, mid-stream ones streaming `turn` first (see `Fault` for every kind). Requests are
validated like the real APIs (roles, orphan or unanswered tool calls, thinking signatures): an
invalid one gets 400 with the real error JSON and does not consume the script. A request when the
script is empty gets 400 "script exhausted". `server.requests` records every request (method,
path, lower-cased headers, parsed JSON body). `server.chunk_at` (or `Turn.chunk_at`) splits
response bodies into HTTP chunks at the given byte offsets, sent with a short pause between them.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
from collections import deque
from collections.abc import Iterator
from typing import Any

from tests.support import llm_wire as wire
from tests.support.llm_script import (
    Fault,
    RecordedRequest,
    ScriptItem,
    ToolCallSpec,
    Turn,
    UsageSpec,
)
from tests.support.llm_validation import validate_anthropic, validate_ollama, validate_openai

__all__ = ["Fault", "RecordedRequest", "ScriptedLLMServer", "ToolCallSpec", "Turn", "UsageSpec"]

_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 429: "Too Many Requests"}
_ROUTES: dict[tuple[str, str], wire.Dialect] = {
    ("POST", "/v1/messages"): "anthropic",
    ("POST", "/v1/chat/completions"): "openai",
    ("POST", "/api/v1/chat/completions"): "openrouter",
    ("POST", "/api/chat"): "ollama",
}


class _Request:
    def __init__(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> None:
        self.method, self.path, self.headers = method, path.split("?", 1)[0], headers
        try:
            self.body: Any = json.loads(raw) if raw else None
        except ValueError:
            self.body = None


class ScriptedLLMServer:
    """See the module docstring. Use as a context manager or `start()` / `stop()`."""

    def __init__(self, *, chunk_pause_s: float = 0.002) -> None:
        self.requests: list[RecordedRequest] = []
        self.errors: list[Exception] = []
        self.chunk_at: tuple[int, ...] | None = None
        self.chunk_pause_s = chunk_pause_s
        self.ollama_models = ["qwen3:8b", "llama3.2:latest"]
        self.port = 0
        self._script: deque[ScriptItem] = deque()
        self._turns_served = 0
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[asyncio.Task[None]] = set()
        # The most scripted completions answered at the same time: how tests see concurrency
        # (e.g. ten subagents in parallel) without timing anything.
        self.max_in_flight = 0
        self._in_flight = 0
        self._hold_marked_for = 0
        self._marked_waiting = 0
        self._marked_go = asyncio.Event()
        self._released = asyncio.Event()

    # --- public API ----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_base_url(self) -> str:
        return f"{self.base_url}/v1"

    @property
    def openrouter_base_url(self) -> str:
        return f"{self.base_url}/api/v1"

    def script(self, *items: ScriptItem) -> None:
        """Replace the script (and forget recorded requests)."""
        with self._lock:
            self._script = deque(items)
            self.requests.clear()
            self.max_in_flight = 0
            self._hold_marked_for = self._marked_waiting = 0
            self._marked_go = asyncio.Event()

    def push(self, *items: ScriptItem) -> None:
        with self._lock:
            self._script.extend(items)

    @property
    def remaining(self) -> int:
        return len(self._script)

    def completion_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if (r.method, r.path) in _ROUTES]

    def hold_marked_until(self, count: int) -> None:
        """Answer no completion whose script item has a `when` marker until `count` of them are
        waiting at once; then all go. A run that is not really concurrent never gets there and
        times out, so a test proves concurrency without a clock a slow machine could fail."""
        self._hold_marked_for = count

    def release_stalls(self) -> None:
        """End every `Fault("stall")` pause now and skip later ones, so a test decides when a
        stalled stream goes on (e.g. after it reloaded a page mid-turn) instead of a timer."""
        loop = self._loop
        if loop is not None:
            loop.call_soon_threadsafe(self._released.set)

    def start(self) -> ScriptedLLMServer:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("scripted LLM server did not start")
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        self._loop = self._thread = None

    def __enter__(self) -> ScriptedLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- server plumbing -----------------------------------------------------------------------

    def _run(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._server = loop.run_until_complete(
            asyncio.start_server(self._on_connection, "127.0.0.1", 0)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _on_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)  # type: ignore[arg-type]
        try:
            while (request := await self._read_request(reader)) is not None:
                if not await self._dispatch(request, writer):
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        except Exception as exc:  # a bug in the test server must fail the test, not hang it
            self.errors.append(exc)
        finally:
            self._connections.discard(task)  # type: ignore[arg-type]
            writer.transport.abort()

    async def _read_request(self, reader: asyncio.StreamReader) -> _Request | None:
        line = await reader.readline()
        if not line.strip():
            return None
        method, path, _ = line.decode("latin-1").split(" ", 2)
        headers: dict[str, str] = {}
        while (header := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = header.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        raw = await reader.readexactly(int(headers.get("content-length", "0")))
        request = _Request(method, path, headers, raw)
        with self._lock:
            self.requests.append(
                RecordedRequest(request.method, request.path, dict(headers), request.body)
            )
        return request

    async def _send(
        self,
        writer: asyncio.StreamWriter,
        status: int,
        body: Any,
        headers: dict[str, str] | None = None,
    ) -> bool:
        data = json.dumps(body).encode()
        head = {"content-type": "application/json", "content-length": str(len(data))}
        writer.write(self._head(status, {**head, **(headers or {})}) + data)
        await writer.drain()
        return True

    @staticmethod
    def _head(status: int, headers: dict[str, str]) -> bytes:
        lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    # --- routing -------------------------------------------------------------------------------

    async def _dispatch(self, request: _Request, writer: asyncio.StreamWriter) -> bool:
        key = (request.method, request.path)
        if key == ("GET", "/api/tags"):
            models = [{"name": m, "model": m, "size": 1, "digest": "0"} for m in self.ollama_models]
            return await self._send(writer, 200, {"models": models})
        if key == ("POST", "/v1/messages/count_tokens"):
            estimate = max(1, len(json.dumps(request.body)) // 4)
            return await self._send(writer, 200, {"input_tokens": estimate})
        dialect = _ROUTES.get(key)
        if dialect is None:
            return await self._send(writer, 404, {"error": f"no route {request.path}"})
        body = request.body
        validate = {"anthropic": validate_anthropic, "ollama": validate_ollama}.get(
            dialect, validate_openai
        )
        if (invalid := validate(body)) is not None:
            message, param = invalid
            return await self._send(writer, 400, wire.error_body(dialect, 400, message, param))
        with self._lock:
            item = self._take(_last_user_text(body))
            self._turns_served += 1
            turn_no = self._turns_served
        if item is None:
            error = wire.error_body(dialect, 400, "scripted LLM server: script exhausted")
            return await self._send(writer, 400, error)
        # Counted on the server's one loop thread, so no lock is needed.
        self._in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            if self._hold_marked_for and item.when is not None:
                self._marked_waiting += 1
                if self._marked_waiting >= self._hold_marked_for:
                    self._marked_go.set()
                await self._marked_go.wait()
            return await self._answer(writer, dialect, body, item, turn_no)
        finally:
            self._in_flight -= 1

    async def _answer(
        self,
        writer: asyncio.StreamWriter,
        dialect: wire.Dialect,
        body: Any,
        item: ScriptItem,
        turn_no: int,
    ) -> bool:
        fault = item if isinstance(item, Fault) else None
        turn = item.turn if isinstance(item, Fault) else item
        if item.delay_s:
            await asyncio.sleep(item.delay_s)
        if fault is not None and fault.status is not None:
            return await self._send_fault_status(writer, dialect, fault)
        if fault is not None and fault.kind == "reset":
            return False
        if fault is not None and fault.kind == "stall" and fault.after_bytes is None:
            await asyncio.sleep(fault.stall_s)
        model = str(body.get("model", "scripted"))
        if not body.get("stream", dialect == "ollama"):
            return await self._send(writer, 200, self._whole(dialect, turn, model, turn_no, body))
        frames = self._frames(dialect, turn, model, turn_no, body)
        data = b"".join(chunk for _, chunk in wire.apply_fault(frames, fault, dialect))
        return await self._stream(writer, dialect, data, fault, turn.chunk_at or self.chunk_at)

    def _take(self, user_text: str) -> ScriptItem | None:
        """The first marked item whose marker is in `user_text`, else the first unmarked one."""
        marked = next((i for i in self._script if i.when is not None and i.when in user_text), None)
        item = marked or next((i for i in self._script if i.when is None), None)
        if item is not None:
            self._script.remove(item)
        return item

    async def _send_fault_status(
        self, writer: asyncio.StreamWriter, dialect: wire.Dialect, fault: Fault
    ) -> bool:
        status = fault.status or 500
        headers: dict[str, str] = {}
        if fault.retry_after is not None:
            headers["retry-after"] = f"{fault.retry_after:g}"
        if fault.retry_after_ms is not None:
            headers["retry-after-ms"] = str(fault.retry_after_ms)
        message = fault.message or {429: "Rate limited", 529: "Overloaded"}.get(
            status, f"scripted error {status}"
        )
        return await self._send(writer, status, wire.error_body(dialect, status, message), headers)

    @staticmethod
    def _whole(dialect: wire.Dialect, turn: Turn, model: str, turn_no: int, body: Any) -> Any:
        if dialect == "anthropic":
            return wire.anthropic_message(turn, model, turn_no)
        if dialect == "ollama":
            return wire.ollama_response(turn, model, bool(body.get("think")))
        return wire.openai_completion(turn, model, turn_no, dialect)

    @staticmethod
    def _frames(
        dialect: wire.Dialect, turn: Turn, model: str, turn_no: int, body: Any
    ) -> list[wire.Frame]:
        if dialect == "anthropic":
            return wire.anthropic_frames(turn, model, turn_no)
        if dialect == "ollama":
            return wire.ollama_frames(turn, model, bool(body.get("think")))
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        return wire.openai_frames(turn, model, turn_no, dialect, include_usage)

    async def _stream(
        self,
        writer: asyncio.StreamWriter,
        dialect: wire.Dialect,
        data: bytes,
        fault: Fault | None,
        chunk_at: tuple[int, ...] | None,
    ) -> bool:
        content_type = "application/x-ndjson" if dialect == "ollama" else "text/event-stream"
        headers = {"content-type": content_type, "transfer-encoding": "chunked"}
        if dialect != "ollama":
            headers["cache-control"] = "no-cache"
        writer.write(self._head(200, headers))
        await writer.drain()
        cut = stall = None
        if fault is not None and fault.kind == "cut":
            cut = len(data) // 2 if fault.after_bytes is None else fault.after_bytes
        if fault is not None and fault.kind == "stall" and fault.after_bytes is not None:
            stall = fault.after_bytes
        bounds = {*(chunk_at or ()), *(x for x in (cut, stall) if x is not None)}
        for start, piece in _split(data, bounds):
            if start == cut:
                writer.transport.abort()
                return False
            if start == stall and fault is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._released.wait(), fault.stall_s)
            if not piece:
                continue
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            await writer.drain()
            if chunk_at:
                await asyncio.sleep(self.chunk_pause_s)
        if cut is not None:
            writer.transport.abort()
            return False
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True


def _last_user_text(body: Any) -> str:
    """The text of the last user message that has text (tool results are skipped)."""
    for message in reversed(body.get("messages") or []):
        if not isinstance(message, dict) or message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str) and content:
            return content
        if isinstance(content, list):
            texts = [
                str(block.get("text", ""))
                for block in content
                if isinstance(block, dict) and block.get("type") == "text"
            ]
            if any(texts):
                return "\n".join(texts)
    return ""


def _split(data: bytes, bounds: set[int]) -> Iterator[tuple[int, bytes]]:
    """(offset, piece) of `data` split at `bounds`, then an empty piece at the end."""
    points = sorted({0, len(data), *(b for b in bounds if 0 <= b <= len(data))})
    for start, end in itertools.pairwise(points):
        yield start, data[start:end]
    yield len(data), b""
