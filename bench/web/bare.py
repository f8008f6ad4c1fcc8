"""The peer of W1, W5 and W6: a bare Starlette + uvicorn WebSocket broadcaster (PERFORMANCE §5.4).

Every client has an unbounded queue drained by its own sender task, so `broadcast` never waits and
a stalled client delays only itself; each event goes out as its own WebSocket message.
`python -m uvicorn bench.web.bare:app` is the W5 hello app; `python -m bench.web.bare PORT` serves
it with the uvicorn options of `codesm web` and takes control lines on stdin (`publish`).
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from bench.web.control import marker_text, reply, serve_stdin

clients: set[asyncio.Queue[str]] = set()


async def healthz(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


async def feed(websocket: WebSocket) -> None:
    queue: asyncio.Queue[str] = asyncio.Queue()
    clients.add(queue)  # before accept: a client that is connected is already subscribed
    await websocket.accept()

    async def send() -> None:
        while True:
            await websocket.send_text(await queue.get())

    sender = asyncio.create_task(send())
    try:
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass
    finally:
        clients.discard(queue)
        sender.cancel()


def broadcast(text: str) -> None:
    for queue in clients:
        queue.put_nowait(text)


async def publish(request: dict[str, Any]) -> dict[str, Any]:
    """`count` events of `size` bytes, `batch` at a time, yielding to the senders in between."""
    count, size, batch = int(request["count"]), int(request["size"]), int(request["batch"])
    for start in range(0, count, batch):
        now = time.monotonic_ns()
        for index in range(start, min(count, start + batch)):
            broadcast(marker_text(index, now, size))
        await asyncio.sleep(0)
    return {"published": count, "clients": len(clients)}


app = Starlette(routes=[Route("/healthz", healthz), WebSocketRoute("/ws", feed)])


async def _main(port: int) -> None:
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws="websockets-sansio",
        proxy_headers=False,
        server_header=False,
    )
    serve_stdin(asyncio.get_running_loop(), {"publish": publish})
    reply({"port": port})
    await uvicorn.Server(config).serve()


if __name__ == "__main__":
    asyncio.run(_main(int(sys.argv[1])))
