"""The audit log of permission decisions: who asked for what, which rule decided, and when."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)

__all__ = ["AuditRecord", "AuditSink", "InMemoryAuditSink", "JsonlAuditSink", "read_audit_log"]


@dataclass(frozen=True)
class AuditRecord:
    """One decision. `subject` is the command or the paths / URL the tool would touch."""

    at: datetime
    session_id: str
    actor: str
    tool: str
    subject: str
    mode: str
    action: str
    reason: str
    rule: str | None = None
    rule_source: str | None = None


class AuditSink(Protocol):
    """Where decisions go; the store persists them, tests keep them in memory."""

    def record(self, entry: AuditRecord) -> None: ...


class InMemoryAuditSink:
    """Keeps every record in a list, in order."""

    def __init__(self) -> None:
        self.records: list[AuditRecord] = []

    def record(self, entry: AuditRecord) -> None:
        self.records.append(entry)


class JsonlAuditSink:
    """Appends each decision as one JSON line to a file (the user's state dir in a real run).

    A line is written and flushed per decision, so the log survives a crash of the process that
    made it; a write failure is logged and never blocks the decision itself."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def record(self, entry: AuditRecord) -> None:
        line = json.dumps({**asdict(entry), "at": entry.at.isoformat()}, ensure_ascii=False)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line + "\n")
        except OSError as exc:
            log.warning("could not write the permission audit log %s: %s", self.path, exc)


def read_audit_log(path: Path, *, limit: int | None = None) -> list[AuditRecord]:
    """The newest `limit` records of a JSONL audit log, oldest first; unreadable lines skipped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    records: list[AuditRecord] = []
    for line in lines[-limit:] if limit else lines:
        try:
            data = json.loads(line)
            data["at"] = datetime.fromisoformat(data["at"])
            records.append(AuditRecord(**data))
        except (ValueError, TypeError, KeyError):
            continue
    return records
