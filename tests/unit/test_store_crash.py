"""kill -9 at random points: nothing acknowledged is lost and every session stays resumable.

A writer process (tests/support/crash_writer.py) appends the events of agent turns through the
production store and acknowledges each commit on stdout. This test kills it with SIGKILL at a
random moment, reopens the database the way codesm does, and checks: ``integrity_check`` is ok,
every acknowledged event is there with its type and every session's ``seq`` runs 1..N without a
hole, recovery closes the interrupted turns, and every transcript is valid.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from codesm.agent.recovery import recover_sessions
from codesm.agent.transcript import build_transcript, validate_transcript
from codesm.store import UNSET, Store

REPO = Path(__file__).resolve().parents[2]
WRITER = REPO / "tests" / "support" / "crash_writer.py"
CYCLES = int(os.environ.get("CODESM_CRASH_CYCLES", "60"))
LINE_TIMEOUT_S = 10


@dataclass
class Ledger:
    """What the writers acknowledged: (session, seq) -> event type."""

    acked: dict[tuple[str, int], str] = field(default_factory=dict)

    def record(self, line: str) -> None:
        _, session_id, first, last, types = line.split()
        for seq, kind in zip(range(int(first), int(last) + 1), types.split(","), strict=True):
            self.acked[(session_id, seq)] = kind


@pytest.fixture
async def zygote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[asyncio.subprocess.Process]:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(WRITER),
        "--zygote",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env=env,
    )
    yield process
    assert process.stdin is not None
    process.stdin.close()
    await asyncio.wait_for(process.wait(), LINE_TIMEOUT_S)


async def _line(process: asyncio.subprocess.Process) -> str:
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), LINE_TIMEOUT_S)
    if not line:
        pytest.fail("the crash writer exited unexpectedly")
    return line.decode().strip()


async def _run_and_kill(
    process: asyncio.subprocess.Process, rng: random.Random, ledger: Ledger
) -> None:
    """Fork a writer, let it acknowledge a random number of batches, then SIGKILL it."""
    assert process.stdin is not None
    process.stdin.write(f"fork {rng.randrange(2**32)}\n".encode())
    await process.stdin.drain()
    header = await _line(process)
    assert header.startswith("pid "), header
    pid = int(header.split()[1])
    for _ in range(rng.randint(1, 25)):
        line = await _line(process)
        assert line.startswith("ack "), line
        ledger.record(line)
    await asyncio.sleep(rng.random() * 0.004)
    os.kill(pid, signal.SIGKILL)
    while not (line := await _line(process)).startswith("exit "):
        ledger.record(line)
    assert line.split()[2] != "0", "the writer exited on its own instead of being killed"


async def _check(ledger: Ledger) -> int:
    """Reopen through the production path and check everything; returns sessions recovered."""
    async with await Store.open() as store:
        assert await store.db.integrity_check() == "ok"
        sessions = await store.sessions.list_recent(
            parent_session_id=UNSET, include_archived=True, limit=10_000
        )
        found: dict[tuple[str, int], str] = {}
        for session in sessions:
            stored = await store.events_after(session.id)
            assert [s.seq for s in stored] == list(range(1, len(stored) + 1))
            found.update(((session.id, s.seq), s.event.type) for s in stored)
        missing = {key: kind for key, kind in ledger.acked.items() if found.get(key) != kind}
        assert not missing, f"acknowledged events lost: {sorted(missing)[:5]}"
        recovered = await recover_sessions(store)
        for session in sessions:
            validate_transcript(build_transcript(await store.events_after(session.id)))
        return len(recovered)


@pytest.mark.slow
@pytest.mark.timeout(90)
async def test_kill_9_at_random_points_loses_no_acknowledged_event_and_leaves_valid_transcripts(
    zygote: asyncio.subprocess.Process,
) -> None:
    rng = random.Random(int(os.environ.get("CODESM_CRASH_SEED", "20260101")))
    ledger = Ledger()
    recoveries = 0
    for _ in range(CYCLES):
        await _run_and_kill(zygote, rng, ledger)
        recoveries += await _check(ledger)
    assert len(ledger.acked) > CYCLES
    assert recoveries >= CYCLES // 2, "most kills should leave a turn for recovery to close"
