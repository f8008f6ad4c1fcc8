"""A line protocol on stdin/stdout so the bench process can drive a server process it started.

The parent writes one JSON object per line (`{"op": "publish", ...}`); the server runs the op's
coroutine on its own event loop and answers with one line `BENCH {json}`. Other lines on stdout
(the `codesm web` banner) are not replies. A thread reads stdin so the server's loop never blocks
on it.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

REPLY_PREFIX = "BENCH "
Handler = Callable[[dict[str, Any]], Coroutine[Any, Any, dict[str, Any]]]


def reply(payload: dict[str, Any]) -> None:
    sys.stdout.write(REPLY_PREFIX + json.dumps(payload) + "\n")
    sys.stdout.flush()


def serve_stdin(loop: asyncio.AbstractEventLoop, handlers: Mapping[str, Handler]) -> None:
    """Answer control lines from stdin on `loop`, one at a time, until stdin closes."""

    def pump() -> None:
        for line in sys.stdin:
            if not line.strip():
                continue
            request = json.loads(line)
            handler = handlers.get(request.get("op", ""))
            if handler is None:
                reply({"error": f"unknown op {request.get('op')!r}"})
                continue
            try:
                reply(asyncio.run_coroutine_threadsafe(handler(request), loop).result())
            except Exception as exc:  # the parent prints it; the server stays up
                reply({"error": f"{type(exc).__name__}: {exc}"})

    threading.Thread(target=pump, name="bench-control", daemon=True).start()


def marker_text(index: int, emitted_ns: int, size: int) -> str:
    """An event's text for W1: its index and emit time (CLOCK_MONOTONIC), padded to `size`."""
    head = f"e{index}@{emitted_ns}-"
    return head + "x" * max(0, size - len(head))
