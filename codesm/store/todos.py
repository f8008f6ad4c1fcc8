"""The agent's task list per session, stored as a JSON list (its shape belongs to the todo tool)."""

from __future__ import annotations

import json
from typing import Any

from codesm.store.db import Database, now


class Todos:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def load(self, session_id: str) -> list[dict[str, Any]]:
        row = await self._db.fetchone("SELECT items FROM todos WHERE session_id = ?", (session_id,))
        if row is None:
            return []
        items: list[dict[str, Any]] = json.loads(row["items"])
        return items

    async def save(self, session_id: str, items: list[dict[str, Any]]) -> None:
        async with self._db.write() as connection:
            await connection.execute(
                "INSERT INTO todos (session_id, items, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (session_id) DO UPDATE SET items = excluded.items,"
                " updated_at = excluded.updated_at",
                (session_id, json.dumps(items), now()),
            )
