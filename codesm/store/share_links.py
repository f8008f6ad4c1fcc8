"""Share links as rows, so they outlive the server that made them.

Only the SHA-256 of a link's token is stored; the token itself exists in the link handed out and
in the guest's cookie. A revoked link keeps its row (with `revoked_at`) until it would have
expired, then it is purged like any other expired link.
"""

from __future__ import annotations

from dataclasses import dataclass

from codesm.store.db import Database, Row


@dataclass(frozen=True, slots=True)
class ShareLinkRow:
    id: str
    session_id: str
    role: str
    """"viewer" or "controller"."""
    token_sha256: bytes
    created_at: float
    expires_at: float
    revoked_at: float | None = None


class ShareLinks:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, row: ShareLinkRow) -> None:
        async with self._db.write() as connection:
            await connection.execute(
                "INSERT INTO share_links (id, session_id, role, token_sha256, created_at,"
                " expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (row.id, row.session_id, row.role, row.token_sha256, row.created_at,
                 row.expires_at, row.revoked_at),
            )  # fmt: skip

    async def revoke(self, link_id: str, at: float) -> None:
        async with self._db.write() as connection:
            await connection.execute(
                "UPDATE share_links SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (at, link_id),
            )

    async def purge_expired(self, now: float) -> int:
        """Delete every link that has expired (revoked or not); returns how many."""
        async with self._db.write() as connection:
            cursor = await connection.execute(
                "DELETE FROM share_links WHERE expires_at <= ?", (now,)
            )
            return int(cursor.rowcount or 0)

    async def live(self, now: float, *, project_id: str) -> list[ShareLinkRow]:
        """The links of `project_id`'s sessions that are neither expired nor revoked."""
        rows = await self._db.fetchall(
            "SELECT l.* FROM share_links l JOIN sessions s ON s.id = l.session_id"
            " WHERE s.project_id = ? AND l.expires_at > ? AND l.revoked_at IS NULL"
            " ORDER BY l.created_at",
            (project_id, now),
        )
        return [_row(r) for r in rows]

    async def all(self) -> list[ShareLinkRow]:
        """Every stored link, expired and revoked ones included (for tests and `doctor`)."""
        rows = await self._db.fetchall("SELECT * FROM share_links ORDER BY created_at")
        return [_row(r) for r in rows]


def _row(r: Row) -> ShareLinkRow:
    return ShareLinkRow(
        r["id"],
        r["session_id"],
        r["role"],
        bytes(r["token_sha256"]),
        r["created_at"],
        r["expires_at"],
        r["revoked_at"],
    )
