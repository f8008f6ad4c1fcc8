"""The victim of the kill -9 test of the change pipeline (tests/unit/test_change_crash.py).

Run as ``python -m tests.support.change_crash_worker DB ROOT SESSION``: it imports everything
once, then for each ``fork <seed>`` line on stdin forks a worker, prints ``pid <pid>``, waits for
it to die and prints ``exit <pid> <status>``. A worker applies multi-file changes to every file
under ROOT forever (each writes ``v <seed>-<n>`` into all of them), sometimes undoing and redoing
one, with a random pause before each file write so that a kill lands mid-apply often.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import time
from pathlib import Path

from codesm.agent.changes.apply import ChangeApplier
from codesm.agent.changes.journal import FileImage, write_image
from codesm.agent.changes.model import ProposedChange, content_hash
from codesm.store import Store


def _change(root: Path, path: Path, text: str) -> ProposedChange:
    data = path.read_bytes()
    return ProposedChange(
        kind="modify",
        path=path.relative_to(root).as_posix(),
        abs_path=path,
        base_hash=content_hash(data),
        old_content=data.decode(),
        new_content=text,
        diff="",
        tool="crash-test",
    )


async def _work(db: Path, root: Path, files: list[Path], session_id: str, seed: int) -> None:
    rng = random.Random(seed)

    def slow_writer(path: Path, image: FileImage) -> None:
        time.sleep(rng.uniform(0, 0.008))
        write_image(path, image)

    store = await Store.open(db)
    applier = ChangeApplier.for_store(store, writer=slow_writer)
    for n in range(1_000_000):
        text = f"v {seed}-{n}\n" * rng.randint(1, 50)
        result = await applier.apply([_change(root, p, text) for p in files], session_id=session_id)
        if rng.random() < 0.3:
            await applier.undo(result.change_id)
            if rng.random() < 0.5:
                await applier.redo(result.change_id)


def main() -> None:
    db, root, session_id = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    files = sorted(p for p in root.iterdir() if p.is_file() and not p.name.startswith("."))
    for line in sys.stdin:
        seed = int(line.split()[1])
        pid = os.fork()
        if pid == 0:
            try:
                asyncio.run(_work(db, root, files, session_id, seed))
            finally:
                os._exit(0)
        print(f"pid {pid}", flush=True)
        _, status = os.waitpid(pid, 0)
        print(f"exit {pid} {status}", flush=True)


if __name__ == "__main__":
    main()
