"""kill -9 during apply, undo and redo: after start-up recovery every file is wholly old or wholly
new, and all files of a change agree."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from codesm.agent.changes.recovery import RecoveredChange, recover_changes
from codesm.store import Store

CYCLES = 24
FILES = ["a.py", "b.txt", "c.md", "d.cfg"]
REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the worker forks")


async def _recover(db: Path) -> tuple[list[RecoveredChange], str]:
    async with await Store.open(db) as store:
        return await recover_changes(store), await store.db.integrity_check()


async def _session(db: Path) -> str:
    async with await Store.open(db) as store:
        return (await store.sessions.create()).id


def test_kill_9_at_random_points_leaves_every_change_wholly_applied_or_wholly_undone(
    tmp_path: Path,
) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    for name in FILES:
        (root / name).write_text("v start\n")
    db = tmp_path / "codesm.db"
    session_id = asyncio.run(_session(db))
    rng = random.Random(20240611)
    zygote = subprocess.Popen(
        [sys.executable, "-m", "tests.support.change_crash_worker", str(db), str(root), session_id],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert zygote.stdin is not None and zygote.stdout is not None
    rolled_back = 0
    try:
        for cycle in range(CYCLES):
            zygote.stdin.write(f"fork {cycle}\n")
            zygote.stdin.flush()
            pid = int(zygote.stdout.readline().split()[1])
            time.sleep(rng.uniform(0.05, 0.4))
            os.kill(pid, signal.SIGKILL)
            assert zygote.stdout.readline().startswith(f"exit {pid}")
            recovered, integrity = asyncio.run(_recover(db))
            rolled_back += len(recovered)
            assert integrity == "ok"
            contents = {(root / name).read_bytes() for name in FILES}
            assert len(contents) == 1, f"cycle {cycle}: files disagree after recovery"
            line = next(iter(contents)).splitlines()[0]
            assert line.startswith(b"v "), line
            assert not list(root.glob(".*.codesm-tmp"))
    finally:
        zygote.stdin.close()
        zygote.wait(timeout=10)
        zygote.stdout.close()
    assert rolled_back > 0, "no kill landed mid-change; the test proved nothing"
