"""The victim of the kill -9 harness (tests/unit/test_store_crash.py).

It opens the store through the production path (``Store.open()`` with no argument, so the
database lives under ``$XDG_DATA_HOME/codesm``) and appends the events of agent turns forever, in
the batches a real turn loop produces, on two sessions at once. After every committed batch it
prints one line::

    ack <session_id> <first_seq> <last_seq> <type>,<type>,...

Run directly, it writes until killed. With ``--zygote`` it imports everything once and then, for
each ``fork <seed>`` line on stdin, forks a writer, prints ``pid <pid>``, waits for it to die and
prints ``exit <pid> <status>``: every ack of that writer precedes its ``exit`` line, and a cycle
costs a fork instead of a Python start-up.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import uuid
from collections.abc import Iterator

from codesm.agent import events as ev
from codesm.agent.messages import ToolCallPart
from codesm.store import UNSET, Store


def _id() -> str:
    return uuid.uuid4().hex[:12]


def turn_batches(rng: random.Random) -> Iterator[list[ev.Event]]:
    """The batches of one turn: prompt, streamed steps with tool calls, a final answer."""
    turn = _id()
    yield [ev.TurnStarted(turn_id=turn), ev.UserMessage(turn_id=turn, text=f"please do {turn}")]
    steps = rng.randint(1, 3)
    for step in range(steps):
        text = ""
        for _ in range(rng.randint(0, 4)):
            chunk = rng.choice(["Looking ", "at the ", "code. ", "Done "])
            text += chunk
            batch: list[ev.Event] = [ev.AssistantTextDelta(turn_id=turn, text=chunk)]
            if rng.random() < 0.3:
                batch.insert(0, ev.ThinkingDelta(turn_id=turn, text="hmm"))
            yield batch
        if step == steps - 1:
            yield [
                ev.AssistantMessage(turn_id=turn, text=text or "ok"),
                ev.Usage(turn_id=turn, provider="scripted", model="m", input_tokens=10),
                ev.TurnFinished(turn_id=turn, status="completed"),
            ]
            return
        calls = [
            ToolCallPart(call_id=_id(), name="bash", arguments={"command": "make"})
            for _ in range(rng.randint(1, 3))
        ]
        yield [ev.AssistantMessage(turn_id=turn, text=text, tool_calls=calls)]
        for call in calls:
            yield [ev.ToolCallStarted(turn_id=turn, call_id=call.call_id, name=call.name)]
            for _ in range(rng.randint(0, 2)):
                yield [ev.ToolOutputDelta(turn_id=turn, call_id=call.call_id, text="cc\n")]
            yield [ev.ToolCallFinished(turn_id=turn, call_id=call.call_id, content="built")]


async def _write_session(store: Store, session_id: str, rng: random.Random) -> None:
    while True:
        for batch in turn_batches(rng):
            stored = await store.append_events(session_id, batch)
            types = ",".join(s.event.type for s in stored)
            # One write(2) of less than PIPE_BUF bytes: a kill never leaves half an ack behind.
            ack = f"ack {session_id} {stored[0].seq} {stored[-1].seq} {types}\n"
            os.write(sys.stdout.fileno(), ack.encode())


async def write_forever(seed: int) -> None:
    rng = random.Random(seed)
    store = await Store.open()
    sessions = [s.id for s in await store.sessions.list_recent(parent_session_id=UNSET)]
    while len(sessions) < 2 or rng.random() < 0.2:
        sessions.append((await store.sessions.create(title=f"crash {seed}")).id)
    chosen = rng.sample(sessions, 2)
    await asyncio.gather(
        *(_write_session(store, sid, random.Random(rng.random())) for sid in chosen)
    )


def zygote() -> None:
    while line := sys.stdin.readline():
        _, seed = line.split()
        pid = os.fork()
        if pid == 0:
            try:
                asyncio.run(write_forever(int(seed)))
            finally:
                os._exit(1)
        print(f"pid {pid}", flush=True)
        _, status = os.waitpid(pid, 0)
        print(f"exit {pid} {status}", flush=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["--zygote"]:
        zygote()
    else:
        asyncio.run(write_forever(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
