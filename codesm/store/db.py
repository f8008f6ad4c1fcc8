"""Connections and transactions: the durability settings live here and nowhere else.

One writer connection, guarded by an ``asyncio.Lock``, runs every write inside ``BEGIN
IMMEDIATE`` (so a second process waits on ``busy_timeout`` instead of failing with "database is
locked" halfway through a transaction). A second, query-only connection serves reads; in WAL mode
it sees every committed write and never blocks the writer.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any, Final

import aiosqlite

from codesm.errors import StoreError
from codesm.store.migrations import migrate

BUSY_TIMEOUT_MS = 10_000

Row = sqlite3.Row


class Unset(Enum):
    UNSET = "unset"


UNSET: Final = Unset.UNSET
"""Marks an ``update`` argument that should keep its stored value."""


def now() -> float:
    """Timestamps are stored as Unix seconds (REAL)."""
    return time.time()


def to_datetime(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


async def _connect(path: Path, *, query_only: bool) -> aiosqlite.Connection:
    # isolation_level=None: sqlite3 opens no implicit transactions, we issue BEGIN ourselves.
    connection = await aiosqlite.connect(path, isolation_level=None)
    try:
        connection.row_factory = sqlite3.Row
        await connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await connection.execute("PRAGMA foreign_keys = ON")
        if query_only:
            await connection.execute("PRAGMA query_only = ON")
        else:
            await _enable_wal(connection, path)
            await connection.execute("PRAGMA synchronous = FULL")
    except BaseException:
        await connection.close()
        raise
    return connection


async def _enable_wal(connection: aiosqlite.Connection, path: Path) -> None:
    # Switching a fresh file to WAL takes an exclusive lock and SQLite does not call the busy
    # handler for it, so two processes creating the database at once need this retry.
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor = await connection.execute("PRAGMA journal_mode = WAL")
            mode = await cursor.fetchone()
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.005)
    if mode is None or str(mode[0]).lower() != "wal":
        raise StoreError(f"cannot enable WAL journal mode for {path}")


class Database:
    """The two connections to one SQLite file. Use ``write()`` and ``read()``; close when done."""

    def __init__(
        self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection
    ) -> None:
        self.path = path
        self._writer = writer
        self._reader = reader
        self._write_lock = asyncio.Lock()
        self._closed = False

    @classmethod
    async def open(cls, path: Path) -> Database:
        """Open (creating if needed) the database at ``path`` and bring its schema up to date."""
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            writer = await _connect(path, query_only=False)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the session database {path}: {exc}") from exc
        try:
            await migrate(writer)
            reader = await _connect(path, query_only=True)
        except BaseException as exc:
            await writer.close()
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"cannot open the session database {path}: {exc}") from exc
            raise
        return cls(path, writer, reader)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        async with self._write_lock:
            await self._writer.close()
        await self._reader.close()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction: serialized with every other write, committed on exit.

        The block must only use the connection it is given. When the block raises, or is
        cancelled, the transaction is rolled back; when cancellation lands while COMMIT is in
        flight the outcome is whatever SQLite decided, never a half-written transaction.
        """
        if self._closed:
            raise StoreError("the session database is closed")
        async with self._write_lock:
            try:
                # Inside the try: a cancel can land after BEGIN ran but before it returned.
                await self._writer.execute("BEGIN IMMEDIATE")
                yield self._writer
                await self._writer.execute("COMMIT")
            except BaseException as exc:
                await asyncio.shield(self._rollback())
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(f"database write failed: {exc}") from exc
                raise

    async def _rollback(self) -> None:
        # Fails harmlessly when COMMIT already went through or SQLite rolled back on its own.
        with contextlib.suppress(sqlite3.OperationalError):
            await self._writer.execute("ROLLBACK")

    async def fetchall(self, sql: str, parameters: Sequence[Any] = ()) -> list[Row]:
        """Run one query on the read connection."""
        try:
            rows: Iterable[Row] = await self._reader.execute_fetchall(sql, parameters)
        except sqlite3.Error as exc:
            raise StoreError(f"database read failed: {exc}") from exc
        return list(rows)

    async def fetchone(self, sql: str, parameters: Sequence[Any] = ()) -> Row | None:
        rows = await self.fetchall(sql, parameters)
        return rows[0] if rows else None

    async def integrity_check(self) -> str:
        """``PRAGMA integrity_check``: "ok" or SQLite's list of problems."""
        rows = await self.fetchall("PRAGMA integrity_check")
        return "\n".join(str(row[0]) for row in rows)
