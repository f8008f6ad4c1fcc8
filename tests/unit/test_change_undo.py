"""Undo and redo of journaled changes, across restarts, with events; start-up recovery."""

from __future__ import annotations

import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from codesm.agent.changes.apply import ChangeApplier, UndoUnavailable
from codesm.agent.changes.history import ChangeHistory
from codesm.agent.changes.journal import ChangeJournal, JournalEntry, write_image
from codesm.agent.changes.recovery import recover_changes
from codesm.agent.hub import SessionHub
from codesm.store import Store
from tests.unit.change_support import propose


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
    workspace.mkdir()
    (workspace / "a.txt").write_text("a1\n")
    (workspace / "b.txt").write_text("b1\n")
    return workspace


async def apply(store: Store, session_id: str, root: Path, **new: str | None) -> str:
    changes = [propose(root, f"{name}.txt", text) for name, text in new.items()]
    result = await ChangeApplier.for_store(store).apply(changes, session_id=session_id)
    assert result.status == "applied"
    return result.change_id


async def test_undo_restores_the_pre_images_and_redo_writes_again(
    store: Store, session_id: str, root: Path
) -> None:
    change_id = await apply(store, session_id, root, a="a2\n", b="b2\n")
    history = ChangeHistory(ChangeApplier.for_store(store))
    assert (await history.undo(change_id)).status == "undone"
    assert [(root / n).read_text() for n in ("a.txt", "b.txt")] == ["a1\n", "b1\n"]
    assert (await history.redo(change_id)).status == "redone"
    assert [(root / n).read_text() for n in ("a.txt", "b.txt")] == ["a2\n", "b2\n"]


async def test_undo_is_a_conflict_when_a_file_changed_since_and_writes_nothing(
    store: Store, session_id: str, root: Path
) -> None:
    change_id = await apply(store, session_id, root, a="a2\n", b="b2\n")
    (root / "b.txt").write_text("user edit\n")
    result = await ChangeHistory(ChangeApplier.for_store(store)).undo(change_id)
    assert result.status == "conflict"
    assert result.conflicts == ("b.txt",)
    assert (root / "a.txt").read_text() == "a2\n"
    assert (await store.changes.require(change_id)).status == "applied"


async def test_undo_works_after_a_restart(tmp_path: Path, root: Path) -> None:
    async with await Store.open(tmp_path / "codesm.db") as first:
        session_id = (await first.sessions.create()).id
        change_id = await apply(first, session_id, root, a="a2\n")
    async with await Store.open(tmp_path / "codesm.db") as second:
        await ChangeHistory(ChangeApplier.for_store(second)).undo(change_id)
    assert (root / "a.txt").read_text() == "a1\n"


async def test_undo_of_a_create_removes_the_file_and_undo_of_a_delete_restores_its_mode(
    store: Store, session_id: str, root: Path
) -> None:
    (root / "b.txt").chmod(0o741)
    created = await apply(store, session_id, root, c="new\n")
    deleted = await apply(store, session_id, root, b=None)
    history = ChangeHistory(ChangeApplier.for_store(store))
    await history.undo(created)
    await history.undo(deleted)
    assert not (root / "c.txt").exists()
    assert (root / "b.txt").read_text() == "b1\n"
    assert stat.S_IMODE((root / "b.txt").stat().st_mode) == 0o741


async def test_undo_last_and_redo_last_walk_the_session_history(
    store: Store, session_id: str, root: Path
) -> None:
    await apply(store, session_id, root, a="a2\n")
    await apply(store, session_id, root, a="a3\n")
    history = ChangeHistory(ChangeApplier.for_store(store))
    await history.undo_last(session_id)
    assert (root / "a.txt").read_text() == "a2\n"
    await history.undo_last(session_id)
    assert (root / "a.txt").read_text() == "a1\n"
    await history.redo_last(session_id)
    assert (root / "a.txt").read_text() == "a2\n"
    with pytest.raises(UndoUnavailable):
        await history.redo(
            next(e.change_id for e in await history.entries(session_id) if e.status == "applied")
        )


async def test_undoing_twice_is_refused_with_a_clear_message(
    store: Store, session_id: str, root: Path
) -> None:
    change_id = await apply(store, session_id, root, a="a2\n")
    history = ChangeHistory(ChangeApplier.for_store(store))
    await history.undo(change_id)
    with pytest.raises(UndoUnavailable, match="is undone"):
        await history.undo(change_id)
    with pytest.raises(UndoUnavailable, match="no applied change"):
        await history.undo_last(session_id)


async def test_undo_and_redo_are_published_as_events(
    store: Store, session_id: str, root: Path
) -> None:
    change_id = await apply(store, session_id, root, a="a2\n")
    hub = SessionHub(store)
    history = ChangeHistory(ChangeApplier.for_store(store), hub=hub)
    await history.undo(change_id)
    await history.redo(change_id)
    await hub.aclose()
    events = [s.event for s in await store.events_after(session_id)]
    assert [e.type for e in events] == ["change_undone", "change_redone"]
    assert events[0].model_dump() == {
        "type": "change_undone",
        "change_id": change_id,
        "paths": ["a.txt"],
        "call_id": "c1",
        "turn_id": None,
    }


async def interrupted(store: Store, session_id: str, root: Path, written: int) -> JournalEntry:
    """A journaled two-file apply that stopped after `written` files, as after a kill."""
    changes = [propose(root, "a.txt", "a2\n"), propose(root, "b.txt", "b2\n")]
    await ChangeApplier.for_store(store).apply(changes, session_id=session_id)
    journal = ChangeJournal(store)
    [applied] = await journal.for_session(session_id)
    for step in applied.files:
        write_image(step.abs_path, step.before)
    for step in applied.files[:written]:
        write_image(step.abs_path, step.after)
    await journal.set_status(applied.change_id, "applying")
    return applied


@pytest.mark.parametrize("written", [0, 1, 2])
async def test_recovery_rolls_an_interrupted_apply_back_to_the_old_files(
    store: Store, session_id: str, root: Path, written: int
) -> None:
    entry = await interrupted(store, session_id, root, written)
    (root / ".a.txt.x1y2.codesm-tmp").write_text("half")
    [recovered] = await recover_changes(store)
    assert recovered.now == "rolled_back"
    assert len(recovered.restored) == written
    assert [(root / n).read_text() for n in ("a.txt", "b.txt")] == ["a1\n", "b1\n"]
    assert not (root / ".a.txt.x1y2.codesm-tmp").exists()
    assert (await store.changes.require(entry.change_id)).status == "rolled_back"
    assert await recover_changes(store) == []


async def test_recovery_returns_an_interrupted_undo_to_applied(
    store: Store, session_id: str, root: Path
) -> None:
    change_id = await apply(store, session_id, root, a="a2\n", b="b2\n")
    (root / "a.txt").write_text("a1\n")  # the undo got as far as the first file
    await ChangeJournal(store).set_status(change_id, "undoing")
    [recovered] = await recover_changes(store)
    assert recovered.now == "applied"
    assert [(root / n).read_text() for n in ("a.txt", "b.txt")] == ["a2\n", "b2\n"]


async def test_recovery_leaves_alone_a_file_that_holds_neither_image(
    store: Store, session_id: str, root: Path
) -> None:
    await interrupted(store, session_id, root, 2)
    (root / "b.txt").write_text("someone else\n")
    [recovered] = await recover_changes(store)
    assert recovered.left_alone == ("b.txt",)
    assert (root / "b.txt").read_text() == "someone else\n"
    assert (root / "a.txt").read_text() == "a1\n"
