"""Usage rows, one per model call, and the sums the status bar and cost dashboard show.

Rows for calls that are logged as ``usage`` events are written by ``EventLog.append`` in the same
transaction; call ``record`` only for model calls that have no event (never both).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from codesm.store.db import Database, Row, now

_SUMS = (
    "COUNT(*) AS calls, COALESCE(SUM(input_tokens), 0) AS input_tokens,"
    " COALESCE(SUM(output_tokens), 0) AS output_tokens,"
    " COALESCE(SUM(cache_read_tokens), 0) AS cache_read_tokens,"
    " COALESCE(SUM(cache_write_tokens), 0) AS cache_write_tokens,"
    " COALESCE(SUM(reasoning_tokens), 0) AS reasoning_tokens,"
    " COALESCE(SUM(cost_usd), 0.0) AS cost_usd"
)


@dataclass(frozen=True, slots=True)
class UsageTotals:
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: float = 0.0


@dataclass(frozen=True, slots=True)
class GroupedUsage:
    """Totals for one group: a ``provider``/``model`` pair, or a ``day`` (YYYY-MM-DD, UTC)."""

    key: str
    totals: UsageTotals


def _totals(row: Row) -> UsageTotals:
    return UsageTotals(
        calls=row["calls"],
        input_tokens=row["input_tokens"],
        output_tokens=row["output_tokens"],
        cache_read_tokens=row["cache_read_tokens"],
        cache_write_tokens=row["cache_write_tokens"],
        reasoning_tokens=row["reasoning_tokens"],
        cost_usd=float(row["cost_usd"]),
    )


def _where(session_id: str | None, since: datetime | None) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    parameters: list[Any] = []
    if session_id is not None:
        clauses.append("session_id = ?")
        parameters.append(session_id)
    if since is not None:
        clauses.append("ts >= ?")
        parameters.append(since.timestamp())
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), parameters


class UsageLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(
        self,
        *,
        provider: str,
        model: str,
        session_id: str | None = None,
        turn_id: str | None = None,
        agent: str | None = None,
        input_tokens: int = 0,
        output_tokens: int = 0,
        cache_read_tokens: int = 0,
        cache_write_tokens: int = 0,
        reasoning_tokens: int = 0,
        cost_usd: float = 0.0,
    ) -> None:
        """Insert one row for a model call that is not logged as a ``usage`` event."""
        async with self._db.write() as connection:
            await connection.execute(
                "INSERT INTO usage (session_id, turn_id, agent, provider, model, input_tokens,"
                " output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens,"
                " cost_usd, ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    session_id,
                    turn_id,
                    agent,
                    provider,
                    model,
                    input_tokens,
                    output_tokens,
                    cache_read_tokens,
                    cache_write_tokens,
                    reasoning_tokens,
                    cost_usd,
                    now(),
                ),
            )

    async def totals(
        self, *, session_id: str | None = None, since: datetime | None = None
    ) -> UsageTotals:
        """Sums over every call, or one session's, or those since a time."""
        where, parameters = _where(session_id, since)
        row = await self._db.fetchone(f"SELECT {_SUMS} FROM usage {where}", parameters)
        return _totals(row) if row is not None else UsageTotals()

    async def by_model(
        self, *, session_id: str | None = None, since: datetime | None = None
    ) -> list[GroupedUsage]:
        """Sums per ``provider/model``, most expensive first."""
        where, parameters = _where(session_id, since)
        rows = await self._db.fetchall(
            f"SELECT provider || '/' || model AS key, {_SUMS} FROM usage {where}"
            " GROUP BY provider, model ORDER BY cost_usd DESC, key",
            parameters,
        )
        return [GroupedUsage(row["key"], _totals(row)) for row in rows]

    async def by_day(
        self, *, session_id: str | None = None, since: datetime | None = None
    ) -> list[GroupedUsage]:
        """Sums per UTC day, oldest first."""
        where, parameters = _where(session_id, since)
        rows = await self._db.fetchall(
            f"SELECT date(ts, 'unixepoch') AS key, {_SUMS} FROM usage {where}"
            " GROUP BY key ORDER BY key",
            parameters,
        )
        return [GroupedUsage(row["key"], _totals(row)) for row in rows]
