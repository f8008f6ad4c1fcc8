"""The session database: schema, migrations, durability settings and every SQL statement.

``Store`` is the one object the rest of codesm holds::

    store = await Store.open()                # the database under paths.data_dir()
    session = await store.sessions.create(mode="rush")
    stored = await store.append_events(session.id, [TurnStarted(turn_id="t1")])
    later = await store.events_after(session.id, after_seq=0)
    await store.close()

Writes go through one connection, one at a time, each in ``BEGIN IMMEDIATE``; reads use a second
connection (see ``codesm.store.db``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from codesm import paths
from codesm.agent.events import Event, StoredEvent
from codesm.store.changes import ChangeRecord, Changes
from codesm.store.db import UNSET, Database, Unset
from codesm.store.events import EventLog
from codesm.store.migrations import SCHEMA_VERSION
from codesm.store.projects import ProjectRecord, Projects
from codesm.store.sessions import SearchHit, SessionRecord, Sessions, fts_query
from codesm.store.share_links import ShareLinkRow, ShareLinks
from codesm.store.todos import Todos
from codesm.store.usage import GroupedUsage, UsageLog, UsageTotals

__all__ = [
    "SCHEMA_VERSION",
    "UNSET",
    "ChangeRecord",
    "Changes",
    "Database",
    "EventLog",
    "GroupedUsage",
    "ProjectRecord",
    "Projects",
    "SearchHit",
    "SessionRecord",
    "Sessions",
    "ShareLinkRow",
    "ShareLinks",
    "Store",
    "Unset",
    "UsageLog",
    "UsageTotals",
    "fts_query",
]


class Store:
    """The open session database with one repository per table group."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.projects = Projects(db)
        self.sessions = Sessions(db)
        self.events = EventLog(db)
        self.usage = UsageLog(db)
        self.changes = Changes(db)
        self.todos = Todos(db)
        self.share_links = ShareLinks(db)

    @classmethod
    async def open(cls, path: Path | str | None = None) -> Store:
        """Open the database at ``path`` (default: ``paths.database_path()``), migrating it."""
        return cls(await Database.open(Path(path) if path is not None else paths.database_path()))

    @property
    def path(self) -> Path:
        return self.db.path

    async def close(self) -> None:
        await self.db.close()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def append_events(self, session_id: str, events: Sequence[Event]) -> list[StoredEvent]:
        """Commit events with consecutive ``seq`` in one transaction; see ``EventLog.append``."""
        return await self.events.append(session_id, events)

    async def events_after(
        self, session_id: str, after_seq: int = 0, limit: int | None = None
    ) -> list[StoredEvent]:
        """Committed events with ``seq > after_seq``, in order, at most ``limit``."""
        return await self.events.after(session_id, after_seq, limit)
