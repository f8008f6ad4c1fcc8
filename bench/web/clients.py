"""WebSocket clients (the `websockets` library) that time what they receive.

Events carry their index and emit time (`CLOCK_MONOTONIC`, shared by every process on the host),
so a client records per-event latency as it parses frames; codesm coalesces many events into one
frame, the bare peer sends one per message, and both are counted in events.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

MARKER = re.compile(r"e(\d+)@(\d+)-")


@dataclass
class Receipt:
    """What one client saw of one flood."""

    latencies_ns: list[int] = field(default_factory=list)
    frames: int = 0
    last_ns: int = 0

    @property
    def events(self) -> int:
        return len(self.latencies_ns)


async def open_clients(url: str, n: int, **connect_args: Any) -> list[ClientConnection]:
    return list(await asyncio.gather(*(connect(url, **connect_args) for _ in range(n))))


async def close_all(clients: list[ClientConnection]) -> None:
    async def close(ws: ClientConnection) -> None:
        try:
            await asyncio.wait_for(ws.close(), 2)
        except (TimeoutError, OSError):
            ws.transport.abort()

    await asyncio.gather(*(close(ws) for ws in clients), return_exceptions=True)


async def collect_markers(ws: ClientConnection, expected: int, idle_s: float) -> Receipt:
    """Read until all `expected` events arrived, or nothing came for `idle_s`."""
    receipt, seen = Receipt(), bytearray(expected)
    while receipt.events < expected:
        try:
            message = await asyncio.wait_for(ws.recv(), idle_s)
        except TimeoutError:
            break
        now = time.monotonic_ns()
        receipt.frames += 1
        text = message if isinstance(message, str) else message.decode()
        for m in MARKER.finditer(text):
            index = int(m.group(1))
            if index < expected and not seen[index]:
                seen[index] = 1
                receipt.latencies_ns.append(now - int(m.group(2)))
                receipt.last_ns = now
    return receipt


async def first_frame(ws: ClientConnection, timeout_s: float = 30) -> str:
    message = await asyncio.wait_for(ws.recv(), timeout_s)
    return message if isinstance(message, str) else message.decode()


async def stalled_client(url: str, **connect_args: Any) -> ClientConnection:
    """A client that stops reading: a one-message queue it never drains, so TCP backs up."""
    ws = await connect(url, max_queue=1, **connect_args)
    with contextlib.suppress(TimeoutError):
        await asyncio.sleep(0.05)
    return ws


def percentile(values: list[int] | list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, int(q * len(ordered)))])
