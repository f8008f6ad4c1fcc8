"""The audit log of permission decisions: who asked for what, which rule decided, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

__all__ = ["AuditRecord", "AuditSink", "InMemoryAuditSink"]


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
