"""`ChangeApplier`: all files or none, journaled before any write, bytes and modes kept."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from codesm.agent.changes.apply import ApplyFailed, ChangeApplier
from codesm.agent.changes.formatting import Formatter
from codesm.agent.changes.journal import ChangeJournal, FileImage, write_image
from codesm.agent.changes.model import ProposedChange
from codesm.store import Store
from tests.unit.change_support import numbered, propose

FILES = ["a.py", "b.txt", "sub/c.md", "d.cfg"]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(tmp_path / "codesm.db") as opened:
        yield opened


@pytest.fixture
async def session_id(store: Store) -> str:
    return (await store.sessions.create()).id


@pytest.fixture
def root(tmp_path: Path) -> Path:
    workspace = tmp_path / "ws"
    (workspace / "sub").mkdir(parents=True)
    for name in FILES:
        (workspace / name).write_text(f"old {name}\n" + numbered(5))
    return workspace


def four_changes(root: Path) -> list[ProposedChange]:
    return [propose(root, name, f"new {name}\n" + numbered(5)) for name in FILES]


def temp_files(root: Path) -> list[Path]:
    return list(root.rglob("*.codesm-tmp"))


def contents(root: Path) -> list[bytes]:
    return [(root / name).read_bytes() for name in FILES]


async def test_a_multi_file_change_is_written_and_journaled_as_applied(
    store: Store, session_id: str, root: Path
) -> None:
    changes = four_changes(root)
    result = await ChangeApplier.for_store(store).apply(changes, session_id=session_id)
    assert result.status == "applied"
    assert contents(root) == [c.new_content.encode() for c in changes if c.new_content]
    entry = await ChangeJournal(store).get(result.change_id)
    assert entry is not None and entry.status == "applied"
    assert [f.before.data for f in entry.files] == [
        f"old {n}\n{numbered(5)}".encode() for n in FILES
    ]


async def test_a_file_changed_on_disk_is_a_conflict_and_nothing_is_written(
    store: Store, session_id: str, root: Path
) -> None:
    changes = four_changes(root)
    (root / "d.cfg").write_text("edited by the user\n")
    before = contents(root)
    result = await ChangeApplier.for_store(store).apply(changes, session_id=session_id)
    assert result.status == "conflict"
    assert result.conflicts == ("d.cfg",)
    assert contents(root) == before
    assert await store.changes.for_session(session_id) == []


@pytest.mark.parametrize("failing", range(len(FILES)))
async def test_a_write_failure_at_any_file_leaves_every_file_old(
    store: Store, session_id: str, root: Path, failing: int
) -> None:
    calls = []

    def flaky(path: Path, image: FileImage) -> None:
        calls.append(path)
        if len(calls) == failing + 1:
            raise OSError(28, "No space left on device", str(path))
        write_image(path, image)

    before = contents(root)
    applier = ChangeApplier.for_store(store, writer=flaky)
    with pytest.raises(ApplyFailed, match="No space left on device"):
        await applier.apply(four_changes(root), session_id=session_id)
    assert contents(root) == before
    [record] = await store.changes.for_session(session_id)
    assert record.status == "rolled_back"
    assert temp_files(root) == []


async def test_the_journal_entry_is_committed_before_the_first_write(
    store: Store, session_id: str, root: Path
) -> None:
    seen: list[str] = []

    def checking(path: Path, image: FileImage) -> None:
        # A plain connection: what another process (or the next start) would see.
        connection = sqlite3.connect(store.path)
        try:
            seen.extend(r[0] for r in connection.execute("SELECT status FROM changes"))
        finally:
            connection.close()
        write_image(path, image)

    await ChangeApplier.for_store(store, writer=checking).apply(
        four_changes(root), session_id=session_id
    )
    assert seen == ["applying"] * len(FILES)


async def test_mode_line_endings_and_bom_are_kept(
    store: Store, session_id: str, root: Path
) -> None:
    script = root / "run.sh"
    script.write_bytes("\ufeff#!/bin/sh\r\necho old\r\n".encode())
    script.chmod(0o750)
    change = propose(root, "run.sh", "\ufeff#!/bin/sh\r\necho new\r\n")
    await ChangeApplier.for_store(store).apply([change], session_id=session_id)
    assert script.read_bytes() == b"\xef\xbb\xbf#!/bin/sh\r\necho new\r\n"
    assert stat.S_IMODE(script.stat().st_mode) == 0o750


async def test_create_and_delete_in_one_change_apply_together(
    store: Store, session_id: str, root: Path
) -> None:
    changes = [propose(root, "new/dir/x.txt", "x\n"), propose(root, "b.txt", None)]
    result = await ChangeApplier.for_store(store).apply(changes, session_id=session_id)
    assert result.status == "applied"
    assert (root / "new/dir/x.txt").read_text() == "x\n"
    assert not (root / "b.txt").exists()


async def test_partial_contents_replace_the_proposed_content(
    store: Store, session_id: str, root: Path
) -> None:
    change = propose(root, "a.py", "proposed\n")
    result = await ChangeApplier.for_store(store).apply(
        [change], session_id=session_id, contents=["chosen\n"]
    )
    assert (root / "a.py").read_text() == "chosen\n"
    assert "+chosen" in result.files[0].diff
    assert result.files[0].written_hash is not None


async def test_format_on_save_writes_the_formatted_text_and_its_diff(
    store: Store, session_id: str, root: Path
) -> None:
    (root / "m.py").write_text("x = 1\n")
    change = propose(root, "m.py", "x = 1\ny=[1,2 ,3]\n")
    applier = ChangeApplier.for_store(store, formatter=Formatter(root=root))
    result = await applier.apply([change], session_id=session_id)
    assert (root / "m.py").read_text() == "x = 1\ny = [1, 2, 3]\n"
    assert result.files[0].formatter == "ruff format"
    assert "+y = [1, 2, 3]" in result.files[0].diff


async def test_a_directory_in_place_of_a_file_is_an_apply_failure(
    store: Store, session_id: str, root: Path
) -> None:
    change = propose(root, "a.py", "x\n")
    os.unlink(root / "a.py")
    (root / "a.py").mkdir()
    with pytest.raises(ApplyFailed, match="Could not read"):
        await ChangeApplier.for_store(store).apply([change], session_id=session_id)
