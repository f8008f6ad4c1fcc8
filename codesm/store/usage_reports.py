"""What the cost dashboard, `codesm usage` and the budgets read: usage sums grouped by model,
session, day, tool or agent, the most expensive turns, and the raw rows for export.

A model call's cost is attributed to the tool calls it asked for in equal shares (the
``usage_tools`` table); calls that asked for none are grouped as ``(no tool)``, so the groups of
every kind add up to the same total.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from codesm.store.db import Database, Row, to_datetime
from codesm.store.usage import UsageTotals

GroupBy = Literal["model", "session", "day", "tool", "agent"]
GROUPS: tuple[GroupBy, ...] = ("day", "model", "session", "agent", "tool")
NO_TOOL = "(no tool)"
MAIN_AGENT = "main"

_TOKENS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")
_ALL = (*_TOKENS, "reasoning_tokens")


def _sums(prefix: str = "u.", divisor: str = "") -> str:
    return ", ".join(
        f"COALESCE(SUM({prefix}{name}{divisor}), 0) AS {name}" for name in (*_ALL, "cost_usd")
    )


_GROUP_KEYS: dict[str, tuple[str, str]] = {
    "model": ("u.provider || '/' || u.model", "u.provider || '/' || u.model"),
    "day": ("date(u.ts, 'unixepoch')", "date(u.ts, 'unixepoch')"),
    "agent": (f"COALESCE(u.agent, '{MAIN_AGENT}')", f"COALESCE(u.agent, '{MAIN_AGENT}')"),
    "session": (
        "COALESCE(s.parent_session_id, u.session_id, '')",
        "COALESCE(MAX(root.title), '')",
    ),
}
_ORDER = {"day": "key", "model": "cost_usd DESC, key"}


@dataclass(frozen=True, slots=True)
class UsageFilter:
    """Which usage rows count: a time range (``until`` exclusive), a project, a session."""

    since: datetime | None = None
    until: datetime | None = None
    project_id: str | None = None
    session_id: str | None = None

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        parameters: list[Any] = []
        if self.since is not None:
            clauses.append("u.ts >= ?")
            parameters.append(self.since.timestamp())
        if self.until is not None:
            clauses.append("u.ts < ?")
            parameters.append(self.until.timestamp())
        if self.project_id is not None:
            clauses.append("u.session_id IN (SELECT id FROM sessions WHERE project_id = ?)")
            parameters.append(self.project_id)
        if self.session_id is not None:
            clauses.append(
                "(u.session_id = ? OR u.session_id IN"
                " (SELECT id FROM sessions WHERE parent_session_id = ?))"
            )
            parameters += [self.session_id, self.session_id]
        return ("WHERE " + " AND ".join(clauses) if clauses else ""), parameters


@dataclass(frozen=True, slots=True)
class UsageGroup:
    """One group's sums. For ``tool`` groups ``totals.calls`` counts tool calls and the tokens
    are the attributed shares; ``label`` is a session's title (else the key)."""

    key: str
    label: str
    totals: UsageTotals


@dataclass(frozen=True, slots=True)
class TurnCost:
    session_id: str
    """The top-level session (a subagent's turn is shown under its parent)."""
    turn_id: str
    title: str
    prompt: str
    started: datetime
    totals: UsageTotals
    project_id: str | None = None


@dataclass(frozen=True, slots=True)
class UsageRow:
    id: int
    ts: datetime
    session_id: str | None
    turn_id: str | None
    agent: str
    provider: str
    model: str
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    reasoning_tokens: int
    cost_usd: float
    tools: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "ts": self.ts.isoformat(),
            "session_id": self.session_id,
            "turn_id": self.turn_id,
            "agent": self.agent,
            "provider": self.provider,
            "model": self.model,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_read_tokens": self.cache_read_tokens,
            "cache_write_tokens": self.cache_write_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "cost_usd": self.cost_usd,
            "tools": list(self.tools),
        }


def cache_hit_rate(totals: UsageTotals) -> float | None:
    """Share of prompt tokens read from the cache; None without any prompt tokens."""
    prompt = totals.input_tokens + totals.cache_read_tokens + totals.cache_write_tokens
    return totals.cache_read_tokens / prompt if prompt else None


def start_of_day(moment: datetime | None = None) -> datetime:
    """Midnight UTC of ``moment`` (default now): days are UTC days, as in ``by_day``."""
    moment = moment or datetime.now(UTC)
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)


def parse_since(text: str) -> datetime:
    """``YYYY-MM-DD`` (midnight UTC), a full ISO time, or ``Nd`` (N days before today)."""
    text = text.strip()
    if text.endswith("d") and text[:-1].isdigit():
        return start_of_day() - timedelta(days=int(text[:-1]))
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _totals(row: Row, calls: int | None = None) -> UsageTotals:
    return UsageTotals(
        calls=int(row["calls"]) if calls is None else calls,
        input_tokens=round(row["input_tokens"]),
        output_tokens=round(row["output_tokens"]),
        cache_read_tokens=round(row["cache_read_tokens"]),
        cache_write_tokens=round(row["cache_write_tokens"]),
        reasoning_tokens=round(row["reasoning_tokens"]),
        cost_usd=float(row["cost_usd"]),
    )


class UsageReports:
    """Read-only queries over ``usage`` and ``usage_tools``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def totals(self, where: UsageFilter | None = None) -> UsageTotals:
        sql, parameters = (where or UsageFilter()).where()
        row = await self._db.fetchone(
            f"SELECT COUNT(*) AS calls, {_sums()} FROM usage u {sql}", parameters
        )
        return _totals(row) if row is not None else UsageTotals()

    async def spent(self, *, session_id: str | None = None, since: datetime | None = None) -> float:
        """USD spent by a session (its subagents included), or since a time, or in all."""
        return (await self.totals(UsageFilter(since=since, session_id=session_id))).cost_usd

    async def grouped(self, by: GroupBy, where: UsageFilter | None = None) -> list[UsageGroup]:
        """Sums per group; days oldest first, everything else most expensive first."""
        if by == "tool":
            return await self._by_tool(where or UsageFilter())
        sql, parameters = (where or UsageFilter()).where()
        key, label = _GROUP_KEYS[by]
        rows = await self._db.fetchall(
            f"SELECT {key} AS key, {label} AS label, COUNT(*) AS calls, {_sums()}"
            " FROM usage u LEFT JOIN sessions s ON s.id = u.session_id"
            " LEFT JOIN sessions root ON root.id = COALESCE(s.parent_session_id, u.session_id)"
            f" {sql} GROUP BY 1 ORDER BY {_ORDER.get(by, 'cost_usd DESC, key')}",
            parameters,
        )
        return [UsageGroup(row["key"], row["label"] or row["key"], _totals(row)) for row in rows]

    async def _by_tool(self, where: UsageFilter) -> list[UsageGroup]:
        sql, parameters = where.where()
        rows = await self._db.fetchall(
            f"SELECT t.tool AS key, COUNT(*) AS calls, {_sums(divisor=' * 1.0 / n.n')}"
            " FROM usage_tools t JOIN usage u ON u.id = t.usage_id"
            " JOIN (SELECT usage_id, COUNT(*) AS n FROM usage_tools GROUP BY usage_id) n"
            f" ON n.usage_id = t.usage_id {sql} GROUP BY t.tool",
            parameters,
        )
        untooled = "u.id NOT IN (SELECT usage_id FROM usage_tools)"
        extra = f"{sql} AND {untooled}" if sql else f"WHERE {untooled}"
        rest = await self._db.fetchone(
            f"SELECT COUNT(*) AS calls, {_sums()} FROM usage u {extra}", parameters
        )
        groups = [UsageGroup(row["key"], row["key"], _totals(row)) for row in rows]
        if rest is not None and rest["calls"]:
            groups.append(UsageGroup(NO_TOOL, NO_TOOL, _totals(rest)))
        return sorted(groups, key=lambda g: (-g.totals.cost_usd, g.key))

    async def top_turns(self, where: UsageFilter | None = None, limit: int = 10) -> list[TurnCost]:
        """The most expensive turns, with their session's title and the prompt that started them."""
        sql, parameters = (where or UsageFilter()).where()
        turn_filter = f"{sql} AND u.turn_id IS NOT NULL" if sql else "WHERE u.turn_id IS NOT NULL"
        rows = await self._db.fetchall(
            "SELECT COALESCE(s.parent_session_id, u.session_id) AS session_id, u.turn_id,"
            " MIN(u.ts) AS started, COUNT(*) AS calls, COALESCE(MAX(root.title), '') AS title,"
            " MAX(root.project_id) AS project_id,"
            " (SELECT json_extract(e.payload, '$.text') FROM events e"
            "   WHERE e.session_id = u.session_id AND e.turn_id = u.turn_id"
            "   AND e.type = 'user_message' LIMIT 1) AS prompt,"
            f" {_sums()} FROM usage u LEFT JOIN sessions s ON s.id = u.session_id"
            " LEFT JOIN sessions root ON root.id = COALESCE(s.parent_session_id, u.session_id)"
            f" {turn_filter} AND u.session_id IS NOT NULL"
            " GROUP BY u.session_id, u.turn_id ORDER BY cost_usd DESC, started DESC LIMIT ?",
            [*parameters, limit],
        )
        return [
            TurnCost(
                session_id=row["session_id"],
                turn_id=row["turn_id"],
                title=row["title"],
                prompt=row["prompt"] or "",
                started=to_datetime(row["started"]),
                totals=_totals(row),
                project_id=row["project_id"],
            )
            for row in rows
        ]

    async def rows(self, where: UsageFilter | None = None) -> list[UsageRow]:
        """Every model call matching ``where``, oldest first, with the tools it called."""
        sql, parameters = (where or UsageFilter()).where()
        rows = await self._db.fetchall(
            "SELECT u.*, (SELECT group_concat(t.tool, ' ') FROM usage_tools t"
            f" WHERE t.usage_id = u.id) AS tools FROM usage u {sql} ORDER BY u.ts, u.id",
            parameters,
        )
        return [
            UsageRow(
                id=row["id"],
                ts=to_datetime(row["ts"]),
                session_id=row["session_id"],
                turn_id=row["turn_id"],
                agent=row["agent"] or MAIN_AGENT,
                provider=row["provider"],
                model=row["model"],
                input_tokens=row["input_tokens"],
                output_tokens=row["output_tokens"],
                cache_read_tokens=row["cache_read_tokens"],
                cache_write_tokens=row["cache_write_tokens"],
                reasoning_tokens=row["reasoning_tokens"],
                cost_usd=float(row["cost_usd"]),
                tools=tuple((row["tools"] or "").split()),
            )
            for row in rows
        ]
