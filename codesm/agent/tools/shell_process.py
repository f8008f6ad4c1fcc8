"""Run one shell command for the agent: its own process group, bounded memory, streamed output.

The command runs as `/bin/bash -c` in a new session (so its process group can be signalled as a
whole), with stdin from /dev/null and a scrubbed environment. Its interleaved stdout and stderr are
kept in memory only up to a bound (head and tail); past that, everything is spooled to a file. On a
timeout or a cancel, and when the shell exits leaving children behind, the whole group gets
SIGTERM, then SIGKILL after a grace period.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import os
import re
import signal
import subprocess
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

__all__ = ["OutputCapture", "ShellRun", "run_shell", "scrubbed_environment"]

KILL_GRACE_S = 2.0
EMIT_INTERVAL_S = 0.05
_READ_SIZE = 64 * 1024
_POLL_S = 0.02
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|_PAT$|^PAT$", re.I)
_PROVIDER_VARS = frozenset(
    {"ANTHROPIC_API_KEY", "OPENAI_API_KEY", "OPENROUTER_API_KEY", "GEMINI_API_KEY"}
)
_QUIET_TOOLS = {"PAGER": "cat", "GIT_PAGER": "cat", "GIT_TERMINAL_PROMPT": "0"}


def scrubbed_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """`base` (the process environment by default) without provider keys or any variable whose
    name looks like a secret (`*KEY*`, `*TOKEN*`, `*SECRET*`, `*PASSWORD*`, ...); pagers and
    credential prompts are turned off because nobody can answer them."""
    source = os.environ if base is None else base
    env = {
        name: value
        for name, value in source.items()
        if name not in _PROVIDER_VARS and not _SECRET_NAME.search(name)
    }
    env.update(_QUIET_TOOLS)
    return env


def _trim_partial_end(data: bytes) -> bytes:
    """`data` without a UTF-8 sequence cut off at its end (which would decode as U+FFFD)."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 == 0x80:
            continue
        if byte & 0xC0 == 0xC0:
            needed = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            if needed > back:
                return data[:-back]
        break
    return data


def _head(data: bytes, max_lines: int) -> bytes:
    pos = 0
    for _ in range(max_lines):
        nl = data.find(b"\n", pos)
        if nl == -1:
            return data
        pos = nl + 1
    return data[:pos]


def _tail(data: bytes, max_lines: int) -> bytes:
    end = len(data) - 1 if data.endswith(b"\n") else len(data)
    pos = len(data)
    for _ in range(max_lines):
        nl = data.rfind(b"\n", 0, end)
        if nl == -1:
            return data
        pos, end = nl + 1, nl
    return data[pos:]


class OutputCapture:
    """Collects a command's output with bounded memory.

    Up to `keep_bytes` are held whole. Past that the capture keeps only the first and last
    `edge_bytes` in memory and writes everything (what it held included) to `spool_path`, capped
    at `max_spool_bytes`.
    """

    def __init__(
        self,
        spool_path: Path,
        *,
        keep_bytes: int = 256 * 1024,
        edge_bytes: int = 24 * 1024,
        edge_lines: int = 900,
        max_spool_bytes: int = 1 << 30,
    ) -> None:
        self.spool_path = spool_path
        self.total = 0
        self._keep = keep_bytes
        self._edge = edge_bytes
        self._edge_lines = edge_lines
        self._max_spool = max_spool_bytes
        self._whole: bytearray | None = bytearray()
        self._head = b""
        self._tail = bytearray()
        self._spool: BinaryIO | None = None
        self._spooled = 0
        self.spool_error: str | None = None

    @property
    def overflowed(self) -> bool:
        return self._whole is None

    def feed(self, data: bytes) -> None:
        self.total += len(data)
        if self._whole is not None:
            self._whole += data
            if len(self._whole) <= self._keep:
                return
            held = bytes(self._whole)
            self._whole = None
            self._head = held[: self._edge]
            self._tail = bytearray(held[-self._edge :])
            self._open_spool()
            self._write_spool(held)
            return
        self._tail += data
        if len(self._tail) > 2 * self._edge:
            del self._tail[: len(self._tail) - self._edge]
        self._write_spool(data)

    def _open_spool(self) -> None:
        try:
            self.spool_path.parent.mkdir(parents=True, exist_ok=True)
            self._spool = self.spool_path.open("wb")
        except OSError as exc:
            self.spool_error = exc.strerror or str(exc)

    def _write_spool(self, data: bytes) -> None:
        if self._spool is None or self._spooled >= self._max_spool:
            return
        chunk = data[: self._max_spool - self._spooled]
        try:
            self._spool.write(chunk)
        except OSError as exc:
            self.spool_error = exc.strerror or str(exc)
            self.close()
            return
        self._spooled += len(chunk)

    def close(self) -> None:
        if self._spool is not None:
            with contextlib.suppress(OSError):
                self._spool.close()
            self._spool = None

    def text(self) -> tuple[str, bool]:
        """The output for the model (head, marker, tail once overflowed) and whether it had
        invalid UTF-8 (replaced with U+FFFD)."""
        if self._whole is not None:
            return _decode(bytes(self._whole))
        head = _trim_partial_end(self._head)
        tail = bytes(self._tail[-self._edge :])
        skip = 0
        while skip < min(3, len(tail)) and (tail[skip] & 0xC0) == 0x80:
            skip += 1
        tail = tail[skip:]
        head = _head(head, self._edge_lines)
        tail = _tail(tail, self._edge_lines)
        head_text, bad_head = _decode(head)
        tail_text, bad_tail = _decode(tail)
        omitted = self.total - len(head) - len(tail)
        if self.spool_error is not None:
            where = f"the full output could not be saved ({self.spool_error})"
        else:
            where = f"the full output is saved in {self.spool_path} (read or grep it)"
            if self._spooled < self.total:
                where += f", its first {self._spooled:,} bytes only"
        marker = f"\n[... {omitted:,} bytes omitted of {self.total:,}; {where} ...]\n"
        return head_text.rstrip("\n") + marker + tail_text, bad_head or bad_tail


def _decode(data: bytes) -> tuple[str, bool]:
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace"), True


@dataclass(frozen=True)
class ShellRun:
    """How a command ended: `exit_code` is None when it was killed before reporting one."""

    exit_code: int | None
    output: str
    invalid_utf8: bool
    duration_s: float
    timed_out: bool
    cancelled: bool
    total_bytes: int
    spool_path: Path | None


class _Streamer:
    """Forwards decoded output to the UIs in batches, up to `limit` bytes in all."""

    def __init__(self, emit: Callable[[str], Awaitable[None]], limit: int) -> None:
        self._emit = emit
        self._limit = limit
        self._sent = 0
        self._pending: list[str] = []
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._stopped = False

    def feed(self, data: bytes) -> None:
        if self._stopped:
            return
        room = self._limit - self._sent
        if len(data) >= room:
            data = data[:room]
            self._stopped = True
        self._sent += len(data)
        text = self._decoder.decode(data, final=self._stopped)
        if self._stopped:
            text += "\n[... live output stopped here; the result holds the rest ...]\n"
        if text:
            self._pending.append(text)

    async def flush(self) -> None:
        if self._pending:
            text, self._pending = "".join(self._pending), []
            await self._emit(text)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(EMIT_INTERVAL_S)
            await self.flush()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def _wait_exit(proc: subprocess.Popen[bytes]) -> int:
    # Polled: asyncio's own Process.wait() also waits for the pipe to close, which a background
    # grandchild can hold open forever.
    while (code := proc.poll()) is None:  # noqa: ASYNC110 - no event to wait on
        await asyncio.sleep(_POLL_S)
    return code


async def _end_group(pgid: int, proc: subprocess.Popen[bytes], grace_s: float) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left after `grace_s`."""
    if not _group_alive(pgid):
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        if proc.poll() is not None and not _group_alive(pgid):
            return
        await asyncio.sleep(_POLL_S)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


async def run_shell(
    command: str,
    *,
    cwd: Path,
    timeout_s: float,
    cancel: asyncio.Event,
    emit: Callable[[str], Awaitable[None]],
    capture: OutputCapture,
    env: Mapping[str, str] | None = None,
    stream_limit: int = 512 * 1024,
    kill_grace_s: float = KILL_GRACE_S,
) -> ShellRun:
    """Run `command` with `/bin/bash -c` in `cwd` until it exits, `timeout_s` passes or `cancel`
    is set; every process of its group is ended before this returns."""
    started = time.monotonic()
    loop = asyncio.get_running_loop()
    # Popen, not asyncio's subprocess: the pipe must be ours to close (see `_wait_exit`); the
    # spawn itself does not block.
    proc = subprocess.Popen(  # noqa: ASYNC220
        ["/bin/bash", "-c", command],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=dict(scrubbed_environment() if env is None else env),
        start_new_session=True,
    )
    pgid = proc.pid
    assert proc.stdout is not None
    reader = asyncio.StreamReader(limit=_READ_SIZE, loop=loop)
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader, loop=loop), proc.stdout
    )
    streamer = _Streamer(emit, stream_limit)

    async def pump() -> None:
        while chunk := await reader.read(_READ_SIZE):
            capture.feed(chunk)
            streamer.feed(chunk)

    pumping = asyncio.create_task(pump())
    flushing = asyncio.create_task(streamer.run())
    exited = asyncio.create_task(_wait_exit(proc))
    cancelled_wait = asyncio.create_task(cancel.wait())
    timed_out = cancelled = False
    try:
        done, _ = await asyncio.wait(
            {exited, cancelled_wait}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED
        )
        if exited not in done:
            cancelled = cancelled_wait in done
            timed_out = not cancelled
        await _end_group(pgid, proc, kill_grace_s)
        await _wait_exit(proc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(pumping), kill_grace_s)
    finally:
        for task in (pumping, flushing, exited, cancelled_wait):
            task.cancel()
        if proc.poll() is None or _group_alive(pgid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
        transport.close()
        capture.close()
        if proc.poll() is None:
            await asyncio.to_thread(proc.wait)
    await streamer.flush()
    output, invalid = capture.text()
    return ShellRun(
        exit_code=proc.returncode,
        output=output,
        invalid_utf8=invalid,
        duration_s=time.monotonic() - started,
        timed_out=timed_out,
        cancelled=cancelled,
        total_bytes=capture.total,
        spool_path=capture.spool_path if capture.overflowed else None,
    )
