"""Thread rows for `codesm threads list` and `search`: what the table and `--json` show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from codesm.store import SearchHit, SessionRecord, Store


@dataclass(frozen=True)
class ThreadRow:
    id: str
    title: str
    updated_at: datetime
    messages: int
    cost_usd: float
    labels: tuple[str, ...]
    archived: bool
    mode: str
    model: str | None
    visibility: str = "private"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "updated_at": self.updated_at.isoformat(),
            "messages": self.messages,
            "cost_usd": round(self.cost_usd, 6),
            "labels": list(self.labels),
            "archived": self.archived,
            "mode": self.mode,
            "model": self.model,
            "visibility": self.visibility,
        }


async def thread_rows(store: Store, sessions: list[SessionRecord]) -> list[ThreadRow]:
    """Rows for `sessions`, with message counts and cost from the store."""
    counts = await store.events.message_counts([s.id for s in sessions])
    rows = []
    for session in sessions:
        totals = await store.usage.totals(session_id=session.id)
        rows.append(
            ThreadRow(
                id=session.id,
                title=session.title or "(untitled)",
                updated_at=session.updated_at,
                messages=counts.get(session.id, 0),
                cost_usd=totals.cost_usd,
                labels=session.labels,
                archived=session.archived,
                mode=session.mode,
                model=session.model,
                visibility=session.visibility,
            )
        )
    return rows


async def list_threads(
    store: Store,
    *,
    project_id: str | None = None,
    archived: bool = False,
    label: str | None = None,
    limit: int = 50,
) -> list[ThreadRow]:
    """Top-level threads, most recently updated first; `archived` lists only archived ones."""
    sessions = await store.sessions.list_recent(
        project_id=project_id, include_archived=archived, label=label, limit=limit
    )
    if archived:
        sessions = [s for s in sessions if s.archived]
    return await thread_rows(store, sessions)


def short_id(session_id: str) -> str:
    return session_id[:8]


def ago(when: datetime, now: datetime | None = None) -> str:
    """A compact age such as `5m ago`, `3h ago`, `2d ago`, or the date for older ones."""
    seconds = max(0, int(((now or datetime.now(UTC)) - when).total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60}m ago"
    if seconds < 86400:
        return f"{seconds // 3600}h ago"
    if seconds < 14 * 86400:
        return f"{seconds // 86400}d ago"
    return when.date().isoformat()


def _cell(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def render_table(rows: list[ThreadRow], *, now: datetime | None = None) -> str:
    """The `threads list` table: id, title, updated, messages, cost, labels."""
    header = ("ID", "TITLE", "UPDATED", "MSGS", "COST", "LABELS")
    cells = [
        (
            short_id(row.id),
            _cell(row.title + (" [archived]" if row.archived else ""), 48),
            ago(row.updated_at, now),
            str(row.messages),
            f"${row.cost_usd:.4f}",
            ", ".join(row.labels),
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in [header, *cells]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
             for line in [header, *cells]]  # fmt: skip
    return "\n".join(lines)


def hit_json(hit: SearchHit) -> dict[str, Any]:
    return {
        "id": hit.session.id,
        "title": hit.session.title,
        "updated_at": hit.session.updated_at.isoformat(),
        "match": hit.kind,
        "snippet": hit.snippet,
        "score": hit.score,
        "labels": list(hit.session.labels),
        "archived": hit.session.archived,
    }


def render_hits(hits: list[SearchHit]) -> str:
    """One block per hit: the thread, where the words matched, and the snippet."""
    blocks = []
    for hit in hits:
        title = hit.session.title or "(untitled)"
        snippet = " ".join(hit.snippet.split())
        blocks.append(f"{short_id(hit.session.id)}  {title}\n    [{hit.kind}] {snippet}")
    return "\n".join(blocks)
