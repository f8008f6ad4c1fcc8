"""Sessions (threads): create, read, update, list, search, delete."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from codesm.agent.events import AgentMode, PermissionMode
from codesm.errors import StoreError
from codesm.store.db import UNSET, Database, Row, Unset, now, to_datetime

_COLUMNS = (
    "id, project_id, title, mode, permission_mode, model, parent_session_id, subagent_type, "
    "labels, archived, created_at, updated_at, visibility"
)
Visibility = Literal["private", "workspace"]
"""Who may open a thread's shared links: nobody (`private`, the default) or LAN viewers."""


@dataclass(frozen=True, slots=True)
class SessionRecord:
    id: str
    project_id: str | None
    title: str
    mode: AgentMode
    permission_mode: PermissionMode
    model: str | None
    parent_session_id: str | None
    subagent_type: str | None
    labels: tuple[str, ...]
    archived: bool
    created_at: datetime
    updated_at: datetime
    visibility: Visibility = "private"


def _record(row: Row) -> SessionRecord:
    return SessionRecord(
        id=row["id"],
        project_id=row["project_id"],
        title=row["title"],
        mode=row["mode"],
        permission_mode=row["permission_mode"],
        model=row["model"],
        parent_session_id=row["parent_session_id"],
        subagent_type=row["subagent_type"],
        labels=tuple(json.loads(row["labels"])),
        archived=bool(row["archived"]),
        created_at=to_datetime(row["created_at"]),
        updated_at=to_datetime(row["updated_at"]),
        visibility=row["visibility"],
    )


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A session that matched a search, with its best-matching text.

    ``kind`` says where the match is (``title``, ``user``, ``assistant`` or ``tool``); ``snippet``
    is an excerpt with the matched words between the markers given to ``search_hits``; lower
    ``score`` is better (FTS5 bm25, title matches counting double)."""

    session: SessionRecord
    kind: str
    snippet: str
    score: float


def fts_query(text: str) -> str:
    """Turn what a user typed into a safe FTS5 query: every word must match, the last as a prefix.

    Each word is quoted, so FTS5 operators in the input (``AND``, ``*``, ``"``, ``:``) are plain
    text. Returns "" when there is nothing to search for.
    """
    words = re.findall(r"\w+", text)
    if not words:
        return ""
    quoted = [f'"{word}"' for word in words]
    quoted[-1] += "*"
    return " ".join(quoted)


class Sessions:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        *,
        project_id: str | None = None,
        title: str = "",
        mode: AgentMode = "smart",
        permission_mode: PermissionMode = "review",
        model: str | None = None,
        parent_session_id: str | None = None,
        subagent_type: str | None = None,
        labels: Sequence[str] = (),
        session_id: str | None = None,
        visibility: Visibility = "private",
    ) -> SessionRecord:
        """Create a session; its id is a fresh random hex string unless ``session_id`` is given."""
        sid = session_id or uuid.uuid4().hex
        ts = now()
        async with self._db.write() as connection:
            await connection.execute(
                f"INSERT INTO sessions ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)",
                (
                    sid,
                    project_id,
                    title,
                    mode,
                    permission_mode,
                    model,
                    parent_session_id,
                    subagent_type,
                    json.dumps(list(labels)),
                    ts,
                    ts,
                    visibility,
                ),
            )
            if title:
                await connection.execute(
                    "INSERT INTO session_text (session_id, kind, text) VALUES (?, 'title', ?)",
                    (sid, title),
                )
        record = await self.get(sid)
        assert record is not None
        return record

    async def get(self, session_id: str) -> SessionRecord | None:
        row = await self._db.fetchone(
            f"SELECT {_COLUMNS} FROM sessions WHERE id = ?", (session_id,)
        )
        return _record(row) if row is not None else None

    async def with_prefix(self, prefix: str, *, limit: int = 2) -> list[SessionRecord]:
        """Sessions whose id starts with ``prefix`` (for short ids typed by users)."""
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM sessions WHERE id LIKE ? ESCAPE '\\' ORDER BY id LIMIT ?",
            (escaped + "%", limit),
        )
        return [_record(row) for row in rows]

    async def require(self, session_id: str) -> SessionRecord:
        """Like ``get``, but a missing session is a ``StoreError``."""
        record = await self.get(session_id)
        if record is None:
            raise StoreError(f"no session {session_id!r}")
        return record

    async def update(
        self,
        session_id: str,
        *,
        title: str | Unset = UNSET,
        mode: AgentMode | Unset = UNSET,
        permission_mode: PermissionMode | Unset = UNSET,
        model: str | Unset | None = UNSET,
        labels: Sequence[str] | Unset = UNSET,
        archived: bool | Unset = UNSET,
        visibility: Visibility | Unset = UNSET,
    ) -> SessionRecord:
        """Change the given fields (others keep their value) and bump ``updated_at``."""
        changes: dict[str, Any] = {}
        if not isinstance(title, Unset):
            changes["title"] = title
        if not isinstance(mode, Unset):
            changes["mode"] = mode
        if not isinstance(permission_mode, Unset):
            changes["permission_mode"] = permission_mode
        if not isinstance(model, Unset):
            changes["model"] = model
        if not isinstance(labels, Unset):
            changes["labels"] = json.dumps(list(labels))
        if not isinstance(archived, Unset):
            changes["archived"] = int(archived)
        if not isinstance(visibility, Unset):
            changes["visibility"] = visibility
        changes["updated_at"] = now()
        assignments = ", ".join(f"{column} = ?" for column in changes)
        async with self._db.write() as connection:
            cursor = await connection.execute(
                f"UPDATE sessions SET {assignments} WHERE id = ?", (*changes.values(), session_id)
            )
            if cursor.rowcount == 0:
                raise StoreError(f"no session {session_id!r}")
            if "title" in changes:
                await connection.execute(
                    "DELETE FROM session_text WHERE session_id = ? AND kind = 'title'",
                    (session_id,),
                )
                await connection.execute(
                    "INSERT INTO session_text (session_id, kind, text) VALUES (?, 'title', ?)",
                    (session_id, changes["title"]),
                )
        return await self.require(session_id)

    async def list_recent(
        self,
        *,
        project_id: str | None = None,
        parent_session_id: str | Unset | None = None,
        include_archived: bool = False,
        label: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[SessionRecord]:
        """Sessions, most recently updated first.

        By default only top-level sessions (``parent_session_id`` None); pass a parent id for its
        subagent sessions, or ``UNSET`` for all.
        """
        where, parameters = self._filters(project_id, parent_session_id, include_archived, label)
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM sessions {where}"
            " ORDER BY updated_at DESC, id LIMIT ? OFFSET ?",
            (*parameters, limit, offset),
        )
        return [_record(row) for row in rows]

    async def search(
        self,
        text: str,
        *,
        project_id: str | None = None,
        include_archived: bool = False,
        limit: int = 20,
    ) -> list[SessionRecord]:
        """Sessions whose title or user/assistant text match every word of ``text``, best first."""
        query = fts_query(text)
        if not query:
            return []
        where, parameters = self._filters(project_id, UNSET, include_archived, None)
        rows = await self._db.fetchall(
            f"WITH hits AS (SELECT session_id, MIN(rank) AS score FROM session_text"
            f" WHERE session_text MATCH ? GROUP BY session_id)"
            f" SELECT {_COLUMNS} FROM sessions JOIN hits ON hits.session_id = sessions.id"
            f" {where} ORDER BY hits.score, updated_at DESC LIMIT ?",
            (query, *parameters, limit),
        )
        return [_record(row) for row in rows]

    async def search_hits(
        self,
        text: str,
        *,
        project_id: str | None = None,
        include_archived: bool = False,
        label: str | None = None,
        limit: int = 20,
        markers: tuple[str, str] = ("[", "]"),
    ) -> list[SearchHit]:
        """Like ``search``, with each session's best match as a snippet, best first."""
        query = fts_query(text)
        if not query:
            return []
        where, parameters = self._filters(project_id, UNSET, include_archived, label)
        where = f"{where} AND best.n = 1" if where else "WHERE best.n = 1"
        rows = await self._db.fetchall(
            "WITH hits AS (SELECT session_id, kind AS hit_kind,"
            " snippet(session_text, 2, ?, ?, '…', 16) AS hit_snippet,"
            " rank * (CASE kind WHEN 'title' THEN 2.0 ELSE 1.0 END) AS hit_score"
            " FROM session_text WHERE session_text MATCH ?),"
            " best AS (SELECT *, ROW_NUMBER() OVER"
            " (PARTITION BY session_id ORDER BY hit_score) AS n FROM hits)"
            f" SELECT {_COLUMNS}, hit_kind, hit_snippet, hit_score FROM sessions"
            f" JOIN best ON best.session_id = sessions.id {where}"
            " ORDER BY hit_score, updated_at DESC LIMIT ?",
            (*markers, query, *parameters, limit),
        )
        return [
            SearchHit(_record(row), row["hit_kind"], row["hit_snippet"], float(row["hit_score"]))
            for row in rows
        ]

    async def delete(self, session_id: str) -> None:
        """Delete a session with its events, changes and subagent sessions (usage rows stay)."""
        async with self._db.write() as connection:
            children = await connection.execute_fetchall(
                "WITH RECURSIVE tree(id) AS (SELECT ? UNION ALL"
                " SELECT sessions.id FROM sessions JOIN tree ON parent_session_id = tree.id)"
                " SELECT id FROM tree",
                (session_id,),
            )
            await connection.executemany(
                "DELETE FROM session_text WHERE session_id = ?", [(row[0],) for row in children]
            )
            await connection.execute("DELETE FROM sessions WHERE id = ?", (session_id,))

    @staticmethod
    def _filters(
        project_id: str | None,
        parent_session_id: str | Unset | None,
        include_archived: bool,
        label: str | None,
    ) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        parameters: list[Any] = []
        if project_id is not None:
            clauses.append("project_id = ?")
            parameters.append(project_id)
        if parent_session_id is None:
            clauses.append("parent_session_id IS NULL")
        elif not isinstance(parent_session_id, Unset):
            clauses.append("parent_session_id = ?")
            parameters.append(parent_session_id)
        if not include_archived:
            clauses.append("archived = 0")
        if label is not None:
            clauses.append("EXISTS (SELECT 1 FROM json_each(labels) WHERE value = ?)")
            parameters.append(label)
        return ("WHERE " + " AND ".join(clauses) if clauses else ""), parameters
