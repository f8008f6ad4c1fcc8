"""Proposed changes: the model a tool builds, and the sink that reviews and applies it."""

from __future__ import annotations

from codesm.agent.changes.model import (
    ChangeKind,
    ChangeOutcome,
    ChangeSink,
    ChangeStatus,
    DiffHunk,
    DiffLine,
    ProposedChange,
    content_hash,
)

__all__ = [
    "ChangeKind",
    "ChangeOutcome",
    "ChangeSink",
    "ChangeStatus",
    "DiffHunk",
    "DiffLine",
    "ProposedChange",
    "content_hash",
]
