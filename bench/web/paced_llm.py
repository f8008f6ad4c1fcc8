"""The scripted LLM server of `tests/support`, streaming text at a set number of tokens per second
and recording when each token left it (W2).

A token is one text delta whose text is `w000123 ` (its index); the time it was written and
drained to the socket is kept in `written_ns[index]`, on `CLOCK_MONOTONIC` like every client, so
any reader's latency is its receive time minus that. Pacing follows an absolute schedule, so a
late wake-up does not slow the rest of the stream.
"""

from __future__ import annotations

import asyncio
import re
import time

from tests.support import llm_wire as wire
from tests.support.llm_script import Fault, Turn
from tests.support.scripted_llm import ScriptedLLMServer

TOKEN = re.compile(rb"w(\d{6}) ")
TOKEN_CHARS = 8


def token_text(count: int) -> str:
    return "".join(f"w{i:06d} " for i in range(count))


def token_turn(count: int, *, when: str) -> Turn:
    return Turn(text=token_text(count), delta_size=TOKEN_CHARS, when=when)


class PacedLLMServer(ScriptedLLMServer):
    def __init__(self) -> None:
        super().__init__()
        self.tokens_per_s = 0.0
        self.written_ns: dict[int, int] = {}

    def pace(self, tokens_per_s: float) -> None:
        self.tokens_per_s = tokens_per_s
        self.written_ns = {}

    async def _stream(
        self,
        writer: asyncio.StreamWriter,
        dialect: wire.Dialect,
        data: bytes,
        fault: Fault | None,
        chunk_at: tuple[int, ...] | None,
    ) -> bool:
        if not self.tokens_per_s or fault is not None or TOKEN.search(data) is None:
            return await super()._stream(writer, dialect, data, fault, chunk_at)
        headers = {
            "content-type": "text/event-stream",
            "transfer-encoding": "chunked",
            "cache-control": "no-cache",
        }
        writer.write(self._head(200, headers))
        await writer.drain()
        period, sent = 1.0 / self.tokens_per_s, 0
        start = time.monotonic()
        for piece in re.split(rb"(?<=\n\n)", data):
            if not piece:
                continue
            tokens = [int(m.group(1)) for m in TOKEN.finditer(piece)]
            if tokens:
                delay = start + sent * period - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                sent += 1
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            await writer.drain()
            now = time.monotonic_ns()
            for index in tokens:
                self.written_ns.setdefault(index, now)
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True
