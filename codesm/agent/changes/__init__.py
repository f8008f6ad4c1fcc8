"""Proposed changes: the model a tool builds, and the pipeline that reviews and applies it.

The modules, imported directly (this package only re-exports the model, so tools stay light):
`model` (ProposedChange, ChangeOutcome, ChangeSink), `hunks` (partial acceptance), `apply`
(ChangeApplier: atomic multi-file apply, undo, redo), `journal` (pre/post-images in the store),
`recovery` (recover_changes at start-up), `history` (undo/redo with events), `formatting`
(format-on-save), `snapshot` (WorkspaceSnapshot, a shadow git repository) and `commands`
(journaling what a shell command changed).
"""

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
