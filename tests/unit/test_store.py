"""The session store: durability settings, migrations, the event log and the repositories."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from codesm.agent import events as ev
from codesm.errors import MigrationError, StoreError
from codesm.store import SCHEMA_VERSION, UNSET, Store, fts_query


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(tmp_path / "codesm.db") as opened:
        yield opened


def _titles(n: int) -> list[ev.Event]:
    return [ev.Title(title=f"t{i}") for i in range(n)]


async def test_open_enables_wal_full_sync_busy_timeout_and_foreign_keys(store: Store) -> None:
    writer = store.db._writer
    pragmas = {}
    for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys"):
        cursor = await writer.execute(f"PRAGMA {name}")
        row = await cursor.fetchone()
        assert row is not None
        pragmas[name] = row[0]
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 2,
        "busy_timeout": 10_000,
        "foreign_keys": 1,
    }


async def test_open_without_a_path_uses_the_xdg_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    async with await Store.open() as opened:
        assert opened.path == tmp_path / "data" / "codesm" / "codesm.db"
    assert opened.path.exists()


async def test_migrations_are_idempotent_across_reopens(tmp_path: Path) -> None:
    path = tmp_path / "codesm.db"
    for _ in range(3):
        async with await Store.open(path):
            pass
    with contextlib.closing(sqlite3.connect(path)) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    async with await Store.open(path) as reopened:
        assert await reopened.db.integrity_check() == "ok"


async def test_concurrent_opens_of_a_fresh_database_all_succeed(tmp_path: Path) -> None:
    for attempt in range(30):
        path = tmp_path / f"codesm{attempt}.db"
        stores = await asyncio.gather(*(Store.open(path) for _ in range(4)))
        for opened in stores:
            await opened.close()


async def test_a_database_from_a_newer_codesm_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "codesm.db"
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(MigrationError, match="newer than this codesm"):
        await Store.open(path)


async def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "codesm.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError):
        await Store.open(path)


async def test_append_assigns_consecutive_seq_from_one(store: Store) -> None:
    session = await store.sessions.create()
    first = await store.append_events(session.id, _titles(3))
    second = await store.append_events(session.id, _titles(2))
    assert [s.seq for s in first + second] == [1, 2, 3, 4, 5]
    assert await store.events.last_seq(session.id) == 5


async def test_seq_is_per_session(store: Store) -> None:
    a, b = await store.sessions.create(), await store.sessions.create()
    await store.append_events(a.id, _titles(2))
    stored = await store.append_events(b.id, _titles(1))
    assert stored[0].seq == 1


async def test_events_after_returns_the_tail_in_order_with_a_limit(store: Store) -> None:
    session = await store.sessions.create()
    appended = await store.append_events(session.id, _titles(10))
    assert await store.events_after(session.id, 4, limit=3) == appended[4:7]
    assert await store.events_after(session.id, 10) == []
    assert await store.events_after(session.id) == appended


async def test_appending_to_a_missing_session_is_a_store_error(store: Store) -> None:
    with pytest.raises(StoreError, match="no session"):
        await store.append_events("nope", _titles(1))


async def test_appending_nothing_commits_nothing(store: Store) -> None:
    session = await store.sessions.create()
    assert await store.append_events(session.id, []) == []
    assert await store.events.last_seq(session.id) == 0


async def test_concurrent_appends_get_unique_contiguous_seq(store: Store) -> None:
    session = await store.sessions.create()
    await asyncio.gather(*(store.append_events(session.id, _titles(3)) for _ in range(20)))
    seqs = [s.seq for s in await store.events_after(session.id)]
    assert seqs == list(range(1, 61))


async def test_two_store_instances_on_one_file_never_see_database_is_locked(
    tmp_path: Path,
) -> None:
    path = tmp_path / "codesm.db"
    async with await Store.open(path) as one, await Store.open(path) as two:
        session = await one.sessions.create()
        await asyncio.gather(*(s.append_events(session.id, _titles(5)) for s in [one, two] * 10))
        assert [s.seq for s in await two.events_after(session.id)] == list(range(1, 101))


async def test_a_failed_write_rolls_back_the_whole_batch(store: Store) -> None:
    session = await store.sessions.create()
    with pytest.raises(StoreError):
        async with store.db.write() as connection:
            await connection.execute(
                "INSERT INTO events (session_id, seq, type, payload, ts)"
                " VALUES (?, 1, 'x', '{}', 0)",
                (session.id,),
            )
            await connection.execute("INSERT INTO no_such_table VALUES (1)")
    assert await store.events.last_seq(session.id) == 0


@pytest.mark.parametrize("ticks", range(12))
async def test_a_write_cancelled_at_any_point_leaves_the_store_writable(
    store: Store, ticks: int
) -> None:
    session = await store.sessions.create()
    task = asyncio.create_task(store.append_events(session.id, _titles(3)))
    for _ in range(ticks):
        await asyncio.sleep(0)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await store.append_events(session.id, _titles(1))
    seqs = [s.seq for s in await store.events_after(session.id)]
    assert seqs in ([1], [1, 2, 3, 4])


async def test_sessions_are_created_read_and_updated(store: Store) -> None:
    project = await store.projects.ensure(Path.cwd())
    created = await store.sessions.create(
        project_id=project.id, title="first", mode="rush", model="haiku", labels=["ci", "bug"]
    )
    assert created.mode == "rush" and created.labels == ("ci", "bug")
    updated = await store.sessions.update(
        created.id, title="renamed", permission_mode="auto-edit", archived=True
    )
    assert (updated.title, updated.permission_mode, updated.archived, updated.model) == (
        "renamed",
        "auto-edit",
        True,
        "haiku",
    )
    assert updated.updated_at >= created.updated_at
    assert await store.sessions.get("missing") is None
    with pytest.raises(StoreError):
        await store.sessions.update("missing", title="x")


async def test_an_invalid_mode_is_rejected_by_the_schema(store: Store) -> None:
    with pytest.raises(StoreError):
        await store.sessions.create(mode="turbo")  # type: ignore[arg-type]


async def test_listing_filters_by_project_label_archive_and_parent(store: Store) -> None:
    project = await store.projects.ensure(Path.cwd())
    main = await store.sessions.create(project_id=project.id, labels=["x"])
    await store.sessions.create(parent_session_id=main.id, subagent_type="search")
    archived = await store.sessions.create()
    await store.sessions.update(archived.id, archived=True)
    assert [s.id for s in await store.sessions.list_recent(project_id=project.id)] == [main.id]
    assert [s.id for s in await store.sessions.list_recent(label="x")] == [main.id]
    assert len(await store.sessions.list_recent()) == 1
    assert len(await store.sessions.list_recent(include_archived=True)) == 2
    children = await store.sessions.list_recent(parent_session_id=main.id)
    assert [c.subagent_type for c in children] == ["search"]
    assert (
        len(await store.sessions.list_recent(parent_session_id=UNSET, include_archived=True)) == 3
    )


async def test_list_is_most_recently_updated_first(store: Store) -> None:
    old, new = await store.sessions.create(), await store.sessions.create()
    await store.append_events(old.id, _titles(1))
    assert [s.id for s in await store.sessions.list_recent()] == [old.id, new.id]


async def test_search_finds_sessions_by_title_and_message_text(store: Store) -> None:
    by_title = await store.sessions.create(title="Refactor the parser")
    by_text = await store.sessions.create()
    await store.append_events(
        by_text.id,
        [
            ev.UserMessage(turn_id="t", text="why is the tokenizer slow?"),
            ev.AssistantMessage(turn_id="t", text="The tokenizer allocates per byte."),
        ],
    )
    assert [s.id for s in await store.sessions.search("parser")] == [by_title.id]
    assert [s.id for s in await store.sessions.search("tokeniz")] == [by_text.id]
    assert [s.id for s in await store.sessions.search("allocates byte")] == [by_text.id]
    assert await store.sessions.search("nothing matches this") == []


async def test_search_follows_title_renames(store: Store) -> None:
    session = await store.sessions.create(title="alpha")
    await store.sessions.update(session.id, title="beta")
    assert await store.sessions.search("alpha") == []
    assert [s.id for s in await store.sessions.search("beta")] == [session.id]


@pytest.mark.parametrize("query", ['"', "AND", "a:b", "*", "NEAR(", "()", "", "  ", "'); --"])
async def test_search_treats_fts_syntax_as_plain_text(store: Store, query: str) -> None:
    await store.sessions.create(title="AND a b")
    await store.sessions.search(query)


def test_fts_query_quotes_every_word_and_prefixes_the_last() -> None:
    assert fts_query('fix "the" parser*') == '"fix" "the" "parser"*'
    assert fts_query("!!") == ""


async def test_deleting_a_session_removes_its_events_subagents_and_search_rows(
    store: Store,
) -> None:
    parent = await store.sessions.create(title="findme")
    child = await store.sessions.create(parent_session_id=parent.id, title="findme too")
    await store.append_events(child.id, _titles(2))
    await store.sessions.delete(parent.id)
    assert await store.sessions.get(child.id) is None
    assert await store.events_after(child.id) == []
    assert await store.sessions.search("findme") == []


async def test_usage_events_become_usage_rows_in_the_same_transaction(store: Store) -> None:
    session = await store.sessions.create(subagent_type="oracle")
    usage = ev.Usage(
        turn_id="t",
        provider="anthropic",
        model="m",
        input_tokens=10,
        output_tokens=5,
        cache_read_tokens=100,
        cache_write_tokens=7,
        cost_usd=0.25,
    )
    await store.append_events(session.id, [usage, usage.model_copy(update={"model": "n"})])
    totals = await store.usage.totals(session_id=session.id)
    assert (totals.calls, totals.input_tokens, totals.cache_read_tokens, totals.cost_usd) == (
        2,
        20,
        200,
        0.5,
    )
    rows = await store.db.fetchall("SELECT agent, turn_id FROM usage")
    assert [tuple(r) for r in rows] == [("oracle", "t"), ("oracle", "t")]


async def test_usage_aggregates_by_model_and_by_day(store: Store) -> None:
    await store.usage.record(provider="openai", model="a", input_tokens=1, cost_usd=1.0)
    await store.usage.record(provider="openai", model="a", input_tokens=2, cost_usd=1.0)
    await store.usage.record(provider="ollama", model="b", input_tokens=4)
    by_model = await store.usage.by_model()
    assert [(g.key, g.totals.calls, g.totals.input_tokens) for g in by_model] == [
        ("openai/a", 2, 3),
        ("ollama/b", 1, 4),
    ]
    today = datetime.now(UTC).date().isoformat()
    assert [(g.key, g.totals.calls) for g in await store.usage.by_day()] == [(today, 3)]
    future = datetime.now(UTC) + timedelta(days=1)
    assert (await store.usage.totals(since=future)).calls == 0


async def test_changes_are_stored_updated_and_listed(store: Store) -> None:
    session = await store.sessions.create()
    change = await store.changes.insert(
        change_id="ch1",
        session_id=session.id,
        call_id="c1",
        status="proposed",
        payload={"files": ["a.py"]},
    )
    assert change.pre_images is None
    applied = await store.changes.update("ch1", status="applied", pre_images={"a.py": "old"})
    assert (applied.status, applied.pre_images, applied.payload) == (
        "applied",
        {"a.py": "old"},
        {"files": ["a.py"]},
    )
    assert [c.id for c in await store.changes.for_session(session.id, status="applied")] == ["ch1"]
    assert await store.changes.for_session(session.id, status="proposed") == []
    with pytest.raises(StoreError):
        await store.changes.update("missing", status="x")


async def test_projects_are_keyed_by_resolved_root(store: Store, tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    first = await store.projects.ensure(tmp_path / "ws")
    again = await store.projects.ensure(tmp_path / "ws" / ".." / "ws")
    assert first.id == again.id and first.name == "ws"
    assert [p.id for p in await store.projects.list_recent()] == [first.id]
    assert await store.projects.get(first.id) == await store.projects.by_root(tmp_path / "ws")


async def test_a_closed_store_refuses_writes(tmp_path: Path) -> None:
    opened = await Store.open(tmp_path / "codesm.db")
    await opened.close()
    await opened.close()
    with pytest.raises(StoreError, match="closed"):
        await opened.sessions.create()
