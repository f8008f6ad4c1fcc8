"""The per-session event log: append with consecutive ``seq``, read back by ``seq``.

Appending also maintains the derived tables in the same transaction, so they can never disagree
with the log: the ``usage`` table gets one row per ``usage`` event, and the search index gets the
text of user and assistant messages and of tool results.
"""

from __future__ import annotations

from collections.abc import Sequence

from codesm.agent.events import (
    AssistantMessage,
    Event,
    StoredEvent,
    ToolCallFinished,
    Usage,
    UserMessage,
    event_call_id,
    event_turn_id,
    parse_event,
)
from codesm.errors import ProtocolError, StoreError
from codesm.store.db import Database, Row, now, to_datetime

_INSERT_EVENT = """INSERT INTO events (session_id, seq, type, turn_id, call_id, payload, ts)
VALUES (?, ?, ?, ?, ?, ?, ?)"""

_INSERT_USAGE = """INSERT INTO usage (session_id, turn_id, agent, provider, model, input_tokens,
    output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_usd, ts)
VALUES (?, ?, COALESCE(?, (SELECT subagent_type FROM sessions WHERE id = ?)),
    ?, ?, ?, ?, ?, ?, ?, ?, ?)"""

_INSERT_USAGE_TOOL = (
    "INSERT INTO usage_tools (usage_id, call_id, tool, cost_usd) VALUES (?, ?, ?, ?)"
)


def _stored(row: Row) -> StoredEvent:
    try:
        event = parse_event(row["payload"])
    except ProtocolError as exc:
        raise StoreError(f"event {row['session_id']}#{row['seq']} does not parse: {exc}") from exc
    return StoredEvent(
        session_id=row["session_id"], seq=row["seq"], ts=to_datetime(row["ts"]), event=event
    )


class EventLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def append(self, session_id: str, events: Sequence[Event]) -> list[StoredEvent]:
        """Commit ``events`` with the next consecutive ``seq`` numbers, in one transaction.

        Returns once the transaction is durable. Raises ``StoreError`` if the session does not
        exist. An empty sequence commits nothing and returns ``[]``.
        """
        if not events:
            return []
        ts = now()
        async with self._db.write() as connection:
            cursor = await connection.execute(
                "UPDATE sessions SET updated_at = ? WHERE id = ?", (ts, session_id)
            )
            if cursor.rowcount == 0:
                raise StoreError(f"no session {session_id!r} to append events to")
            cursor = await connection.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM events WHERE session_id = ?", (session_id,)
            )
            row = await cursor.fetchone()
            last = int(row[0]) if row is not None else 0
            stored = [
                StoredEvent(session_id=session_id, seq=last + i, ts=to_datetime(ts), event=event)
                for i, event in enumerate(events, start=1)
            ]
            await connection.executemany(
                _INSERT_EVENT,
                [
                    (
                        session_id,
                        item.seq,
                        item.event.type,
                        event_turn_id(item.event),
                        event_call_id(item.event),
                        item.event.model_dump_json(),
                        ts,
                    )
                    for item in stored
                ],
            )
            texts = [
                (session_id, kind, text)
                for event in events
                for kind, text in _searchable(event)
                if text.strip()
            ]
            if texts:
                await connection.executemany(
                    "INSERT INTO session_text (session_id, kind, text) VALUES (?, ?, ?)", texts
                )
            for u in events:
                if isinstance(u, Usage):
                    cursor = await connection.execute(
                        _INSERT_USAGE,
                        (
                            *(session_id, u.turn_id, u.agent, session_id, u.provider, u.model),
                            *(u.input_tokens, u.output_tokens, u.cache_read_tokens),
                            *(u.cache_write_tokens, u.reasoning_tokens, u.cost_usd, ts),
                        ),
                    )
                    if u.tool_calls:
                        share = u.cost_usd / len(u.tool_calls)
                        await connection.executemany(
                            _INSERT_USAGE_TOOL,
                            [(cursor.lastrowid, c.call_id, c.name, share) for c in u.tool_calls],
                        )
        return stored

    async def after(
        self, session_id: str, after_seq: int = 0, limit: int | None = None
    ) -> list[StoredEvent]:
        """Committed events of the session with ``seq > after_seq``, in order."""
        rows = await self._db.fetchall(
            "SELECT session_id, seq, payload, ts FROM events WHERE session_id = ? AND seq > ?"
            " ORDER BY seq LIMIT ?",
            (session_id, after_seq, -1 if limit is None else limit),
        )
        return [_stored(row) for row in rows]

    async def last_seq(self, session_id: str) -> int:
        """The highest committed ``seq`` of the session; 0 when it has no events."""
        row = await self._db.fetchone(
            "SELECT COALESCE(MAX(seq), 0) FROM events WHERE session_id = ?", (session_id,)
        )
        return int(row[0]) if row is not None else 0

    async def turn_starts(self, session_id: str) -> list[tuple[int, str]]:
        """(seq, turn_id) of every ``turn_started`` event of the session, oldest first; read
        through the ``events_by_type`` index, so a page can find where its newest turns begin
        without reading the log."""
        rows = await self._db.fetchall(
            "SELECT seq, turn_id FROM events WHERE type = 'turn_started' AND session_id = ?"
            " ORDER BY seq",
            (session_id,),
        )
        return [(int(row[0]), str(row[1])) for row in rows]

    async def of_types_before(
        self, session_id: str, types: Sequence[str], before_seq: int, *, newest: int | None = None
    ) -> list[StoredEvent]:
        """Events of the given ``types`` with ``seq < before_seq``, oldest first; with ``newest``
        only that many of the newest (by the ``events_by_type`` index)."""
        marks = ", ".join("?" for _ in types)
        rows = await self._db.fetchall(
            "SELECT session_id, seq, payload, ts FROM events"
            f" WHERE type IN ({marks}) AND session_id = ? AND seq < ?"
            " ORDER BY seq DESC LIMIT ?",
            (*types, session_id, before_seq, -1 if newest is None else newest),
        )
        return [_stored(row) for row in reversed(rows)]

    async def usage_costs_before(self, session_id: str, before_seq: int) -> list[float]:
        """The ``cost_usd`` of each ``usage`` event with ``seq < before_seq``, oldest first."""
        rows = await self._db.fetchall(
            "SELECT json_extract(payload, '$.cost_usd') FROM events"
            " WHERE type = 'usage' AND session_id = ? AND seq < ? ORDER BY seq",
            (session_id, before_seq),
        )
        return [float(row[0] or 0.0) for row in rows]

    async def calls_named_before(
        self, session_id: str, tool: str, before_seq: int, limit: int
    ) -> list[StoredEvent]:
        """The newest ``limit`` calls of ``tool`` started before ``before_seq``: each
        ``tool_call_started`` with its ``tool_call_finished`` (when stored), oldest first."""
        rows = await self._db.fetchall(
            "SELECT e.session_id, e.seq, e.payload, e.ts FROM events e"
            " JOIN (SELECT call_id FROM events WHERE type = 'tool_call_started'"
            "   AND session_id = ? AND seq < ? AND json_extract(payload, '$.name') = ?"
            "   ORDER BY seq DESC LIMIT ?) c ON e.call_id = c.call_id"
            " WHERE e.session_id = ? AND e.type IN ('tool_call_started', 'tool_call_finished')"
            " ORDER BY e.seq",
            (session_id, before_seq, tool, limit, session_id),
        )
        return [_stored(row) for row in rows]

    async def message_counts(self, session_ids: Sequence[str]) -> dict[str, int]:
        """User and assistant messages per session (sessions without any are left out)."""
        if not session_ids:
            return {}
        marks = ", ".join("?" for _ in session_ids)
        rows = await self._db.fetchall(
            "SELECT session_id, COUNT(*) FROM events WHERE type IN"
            f" ('user_message', 'assistant_message') AND session_id IN ({marks})"
            " GROUP BY session_id",
            tuple(session_ids),
        )
        return {row[0]: int(row[1]) for row in rows}

    async def sessions_with_open_work(self) -> list[str]:
        """Sessions with a turn or a started tool call that never finished (crash leftovers)."""
        rows = await self._db.fetchall(
            "SELECT session_id FROM (SELECT session_id, turn_id FROM events"
            " WHERE type = 'turn_started' EXCEPT SELECT session_id, turn_id FROM events"
            " WHERE type = 'turn_finished')"
            " UNION SELECT session_id FROM (SELECT session_id, call_id FROM events"
            " WHERE type = 'tool_call_started' EXCEPT SELECT session_id, call_id FROM events"
            " WHERE type = 'tool_call_finished')"
            " ORDER BY session_id"
        )
        return [row[0] for row in rows]


def _searchable(event: Event) -> list[tuple[str, str]]:
    if isinstance(event, UserMessage):
        return [("user", event.text)]
    if isinstance(event, AssistantMessage):
        return [("assistant", event.text)]
    if isinstance(event, ToolCallFinished):
        return [("tool", event.content)]
    return []
