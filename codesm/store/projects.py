"""Projects: the workspace roots sessions belong to."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from codesm.store.db import Database, Row, now, to_datetime


@dataclass(frozen=True, slots=True)
class ProjectRecord:
    id: str
    root: Path
    name: str
    created_at: datetime
    last_used_at: datetime


def _record(row: Row) -> ProjectRecord:
    return ProjectRecord(
        id=row["id"],
        root=Path(row["root"]),
        name=row["name"],
        created_at=to_datetime(row["created_at"]),
        last_used_at=to_datetime(row["last_used_at"]),
    )


class Projects:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def ensure(self, root: Path) -> ProjectRecord:
        """The project for workspace ``root`` (resolved), created on first use; marks it used."""
        resolved = str(await asyncio.to_thread(root.resolve))
        ts = now()
        async with self._db.write() as connection:
            await connection.execute(
                "INSERT INTO projects (id, root, name, created_at, last_used_at)"
                " VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (root) DO UPDATE SET last_used_at = excluded.last_used_at",
                (uuid.uuid4().hex, resolved, Path(resolved).name or resolved, ts, ts),
            )
        record = await self.by_root(Path(resolved))
        assert record is not None
        return record

    async def get(self, project_id: str) -> ProjectRecord | None:
        row = await self._db.fetchone("SELECT * FROM projects WHERE id = ?", (project_id,))
        return _record(row) if row is not None else None

    async def by_root(self, root: Path) -> ProjectRecord | None:
        resolved = str(await asyncio.to_thread(root.resolve))
        row = await self._db.fetchone("SELECT * FROM projects WHERE root = ?", (resolved,))
        return _record(row) if row is not None else None

    async def list_recent(self, *, limit: int = 100) -> list[ProjectRecord]:
        """Projects, most recently used first."""
        rows = await self._db.fetchall(
            "SELECT * FROM projects ORDER BY last_used_at DESC, id LIMIT ?", (limit,)
        )
        return [_record(row) for row in rows]
