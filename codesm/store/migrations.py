"""The schema, as a list of steps keyed by ``PRAGMA user_version``.

Step ``i`` (0-based) takes the database from version ``i`` to ``i + 1``. Steps are only ever
appended, never edited once released. Each runs in one ``BEGIN IMMEDIATE`` transaction together
with the version bump, and the version is re-read inside it, so two processes opening a fresh
database at once apply each step exactly once.
"""

from __future__ import annotations

import contextlib
import sqlite3

import aiosqlite

from codesm.errors import MigrationError

Migration = tuple[str, ...]

MIGRATIONS: list[Migration] = [
    (
        """CREATE TABLE projects (
            id TEXT PRIMARY KEY,
            root TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            created_at REAL NOT NULL,
            last_used_at REAL NOT NULL
        )""",
        """CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            project_id TEXT REFERENCES projects(id) ON DELETE SET NULL,
            title TEXT NOT NULL DEFAULT '',
            mode TEXT NOT NULL DEFAULT 'smart' CHECK (mode IN ('smart', 'rush')),
            permission_mode TEXT NOT NULL DEFAULT 'review'
                CHECK (permission_mode IN ('review', 'auto-edit', 'allow-all', 'dry-run')),
            model TEXT,
            parent_session_id TEXT REFERENCES sessions(id) ON DELETE CASCADE,
            subagent_type TEXT,
            labels TEXT NOT NULL DEFAULT '[]',
            archived INTEGER NOT NULL DEFAULT 0,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        )""",
        "CREATE INDEX sessions_by_project ON sessions(project_id, archived, updated_at)",
        "CREATE INDEX sessions_by_parent ON sessions(parent_session_id)",
        "CREATE INDEX sessions_by_updated ON sessions(updated_at)",
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL CHECK (seq > 0),
            type TEXT NOT NULL,
            turn_id TEXT,
            call_id TEXT,
            payload TEXT NOT NULL,
            ts REAL NOT NULL,
            UNIQUE (session_id, seq)
        )""",
        "CREATE INDEX events_by_call ON events(session_id, call_id) WHERE call_id IS NOT NULL",
        "CREATE INDEX events_by_type ON events(type, session_id)",
        """CREATE TABLE usage (
            id INTEGER PRIMARY KEY,
            session_id TEXT REFERENCES sessions(id) ON DELETE SET NULL,
            turn_id TEXT,
            agent TEXT,
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            input_tokens INTEGER NOT NULL DEFAULT 0,
            output_tokens INTEGER NOT NULL DEFAULT 0,
            cache_read_tokens INTEGER NOT NULL DEFAULT 0,
            cache_write_tokens INTEGER NOT NULL DEFAULT 0,
            reasoning_tokens INTEGER NOT NULL DEFAULT 0,
            cost_usd REAL NOT NULL DEFAULT 0,
            ts REAL NOT NULL
        )""",
        "CREATE INDEX usage_by_ts ON usage(ts)",
        "CREATE INDEX usage_by_session ON usage(session_id)",
        """CREATE TABLE changes (
            id TEXT PRIMARY KEY,
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            call_id TEXT,
            status TEXT NOT NULL,
            payload TEXT NOT NULL DEFAULT '{}',
            pre_images TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        )""",
        "CREATE INDEX changes_by_session ON changes(session_id, created_at)",
        # One row per searchable text (a title, a user or assistant message) of a session.
        """CREATE VIRTUAL TABLE session_text USING fts5(
            session_id UNINDEXED, kind UNINDEXED, text,
            tokenize = 'unicode61 remove_diacritics 2'
        )""",
    ),
    # Start-up recovery looks for changes a crash left in flight (codesm.agent.changes.journal).
    ("CREATE INDEX changes_by_status ON changes(status)",),
    # `threads search` also finds tool output: index what earlier versions left out.
    (
        "INSERT INTO session_text (session_id, kind, text)"
        " SELECT session_id, 'tool', json_extract(payload, '$.content') FROM events"
        " WHERE type = 'tool_call_finished' AND TRIM(json_extract(payload, '$.content')) <> ''",
    ),
    # Cost per tool: which tool calls each model call made, with an equal share of its cost.
    (
        """CREATE TABLE usage_tools (
            usage_id INTEGER NOT NULL REFERENCES usage(id) ON DELETE CASCADE,
            call_id TEXT NOT NULL,
            tool TEXT NOT NULL,
            cost_usd REAL NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX usage_tools_by_usage ON usage_tools(usage_id)",
        "CREATE INDEX usage_tools_by_tool ON usage_tools(tool)",
    ),
    # The agent's task list (`todo_write`), one JSON list per session.
    (
        """CREATE TABLE todos (
            session_id TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
            items TEXT NOT NULL,
            updated_at REAL NOT NULL
        )""",
    ),
    # Share links outlive a server restart: only the SHA-256 of each token is kept.
    (
        """CREATE TABLE share_links (
            id TEXT PRIMARY KEY,
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            role TEXT NOT NULL CHECK (role IN ('viewer', 'controller')),
            token_sha256 BLOB NOT NULL,
            created_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            revoked_at REAL
        )""",
        "CREATE INDEX share_links_by_expiry ON share_links(expires_at)",
    ),
    # Who may open a thread's shared links (`--visibility`): private (nobody) or the workspace.
    (
        "ALTER TABLE sessions ADD COLUMN visibility TEXT NOT NULL DEFAULT 'private'"
        " CHECK (visibility IN ('private', 'workspace'))",
    ),
]

SCHEMA_VERSION = len(MIGRATIONS)


async def _user_version(connection: aiosqlite.Connection) -> int:
    cursor = await connection.execute("PRAGMA user_version")
    row = await cursor.fetchone()
    return int(row[0]) if row is not None else 0


async def migrate(connection: aiosqlite.Connection) -> int:
    """Apply the pending steps on ``connection`` (autocommit mode); returns the final version."""
    version = await _user_version(connection)
    if version > SCHEMA_VERSION:
        raise MigrationError(
            f"the session database is at schema version {version}, newer than this codesm "
            f"understands ({SCHEMA_VERSION}); upgrade codesm or point it at another data dir"
        )
    while version < SCHEMA_VERSION:
        await connection.execute("BEGIN IMMEDIATE")
        try:
            version = await _user_version(connection)
            if version < SCHEMA_VERSION:
                for statement in MIGRATIONS[version]:
                    await connection.execute(statement)
                version += 1
                await connection.execute(f"PRAGMA user_version = {version}")
            await connection.execute("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(sqlite3.OperationalError):
                await connection.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                message = f"schema migration to version {version + 1} failed: {exc}"
                raise MigrationError(message) from exc
            raise
    return version
