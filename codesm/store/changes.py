"""Rows of the change pipeline: a proposed change, its decision, and the pre-images for undo.

The store only keeps the rows; what a payload or a pre-image contains, and which status follows
which, belongs to the change pipeline in ``codesm/agent/``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from codesm.errors import StoreError
from codesm.store.db import UNSET, Database, Row, Unset, now, to_datetime


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    id: str
    session_id: str
    call_id: str | None
    status: str
    payload: dict[str, Any]
    pre_images: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime


def _record(row: Row) -> ChangeRecord:
    return ChangeRecord(
        id=row["id"],
        session_id=row["session_id"],
        call_id=row["call_id"],
        status=row["status"],
        payload=json.loads(row["payload"]),
        pre_images=json.loads(row["pre_images"]) if row["pre_images"] is not None else None,
        created_at=to_datetime(row["created_at"]),
        updated_at=to_datetime(row["updated_at"]),
    )


class Changes:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def insert(
        self,
        *,
        change_id: str,
        session_id: str,
        call_id: str | None,
        status: str,
        payload: dict[str, Any],
        pre_images: dict[str, Any] | None = None,
    ) -> ChangeRecord:
        ts = now()
        async with self._db.write() as connection:
            await connection.execute(
                "INSERT INTO changes (id, session_id, call_id, status, payload, pre_images,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    change_id,
                    session_id,
                    call_id,
                    status,
                    json.dumps(payload),
                    None if pre_images is None else json.dumps(pre_images),
                    ts,
                    ts,
                ),
            )
        return await self.require(change_id)

    async def update(
        self,
        change_id: str,
        *,
        status: str | Unset = UNSET,
        payload: dict[str, Any] | Unset = UNSET,
        pre_images: dict[str, Any] | Unset | None = UNSET,
    ) -> ChangeRecord:
        changes: dict[str, Any] = {"updated_at": now()}
        if not isinstance(status, Unset):
            changes["status"] = status
        if not isinstance(payload, Unset):
            changes["payload"] = json.dumps(payload)
        if not isinstance(pre_images, Unset):
            changes["pre_images"] = None if pre_images is None else json.dumps(pre_images)
        assignments = ", ".join(f"{column} = ?" for column in changes)
        async with self._db.write() as connection:
            cursor = await connection.execute(
                f"UPDATE changes SET {assignments} WHERE id = ?", (*changes.values(), change_id)
            )
            if cursor.rowcount == 0:
                raise StoreError(f"no change {change_id!r}")
        return await self.require(change_id)

    async def get(self, change_id: str) -> ChangeRecord | None:
        row = await self._db.fetchone("SELECT * FROM changes WHERE id = ?", (change_id,))
        return _record(row) if row is not None else None

    async def require(self, change_id: str) -> ChangeRecord:
        record = await self.get(change_id)
        if record is None:
            raise StoreError(f"no change {change_id!r}")
        return record

    async def for_session(
        self, session_id: str, *, status: str | None = None
    ) -> list[ChangeRecord]:
        """The session's changes, oldest first, optionally only those with ``status``."""
        if status is None:
            rows = await self._db.fetchall(
                "SELECT * FROM changes WHERE session_id = ? ORDER BY created_at, id", (session_id,)
            )
        else:
            rows = await self._db.fetchall(
                "SELECT * FROM changes WHERE session_id = ? AND status = ? ORDER BY created_at, id",
                (session_id, status),
            )
        return [_record(row) for row in rows]

    async def with_status(self, statuses: Sequence[str]) -> list[ChangeRecord]:
        """Changes in any of ``statuses``, across every session, oldest first."""
        if not statuses:
            return []
        marks = ", ".join("?" for _ in statuses)
        rows = await self._db.fetchall(
            f"SELECT * FROM changes WHERE status IN ({marks}) ORDER BY created_at, id",
            tuple(statuses),
        )
        return [_record(row) for row in rows]
