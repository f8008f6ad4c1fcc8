"""What a file-changing tool hands to the change pipeline, and what it gets back.

`write`, `edit`, `multiedit` (and later `patch`) never write files themselves: each builds a
`ProposedChange` and passes it to a `ChangeSink`. The sink (the review/apply pipeline in a real
session, `ApplyImmediatelySink` in tests) decides what happens and answers with a `ChangeOutcome`
that the tool turns into the result the model reads.
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

ChangeKind = Literal["create", "modify", "delete"]
ChangeStatus = Literal["applied", "rejected", "pending", "conflict"]


def content_hash(data: bytes) -> str:
    """The hash used for every staleness check: sha256 of the file's bytes, hex."""
    return hashlib.sha256(data).hexdigest()


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DiffLine(_Frozen):
    tag: Literal[" ", "-", "+"]
    text: str
    """The line without its terminator."""
    old_lineno: int | None = None
    new_lineno: int | None = None


class DiffHunk(_Frozen):
    old_start: int
    old_len: int
    new_start: int
    new_len: int
    header: str
    """The `@@ -a,b +c,d @@` line."""
    lines: tuple[DiffLine, ...] = ()


class ProposedChange(_Frozen):
    """One file change, complete enough to review, apply atomically, and undo.

    `base_hash` is the sha256 of the file's bytes the change was computed against (None when the
    file is created): the pipeline must re-check it before writing and report a conflict when the
    file moved on. `old_content` and `new_content` are text as written to disk (a BOM is kept as
    U+FEFF, line endings as they are); `new_content` is None for a delete.
    """

    change_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    kind: ChangeKind
    path: str
    """Workspace-relative path with `/` separators."""
    abs_path: Path
    """The confined absolute path (already resolved inside the workspace)."""
    base_hash: str | None
    old_content: str | None
    new_content: str | None
    diff: str
    """Unified diff text (`--- a/path` / `+++ b/path`); empty when nothing changes."""
    hunks: tuple[DiffHunk, ...] = ()
    added: int = 0
    removed: int = 0
    matchers: tuple[str, ...] = ()
    """Which edit matcher applied each replacement (`exact`, `indentation`, ...); empty for
    whole-file writes."""
    tool: str = ""
    call_id: str = ""


class ChangeOutcome(_Frozen):
    """What became of a proposed change.

    `applied`: the file now holds `written_hash` (which differs from the proposal's content when
    the user accepted only some hunks; `comment` then says which). `rejected`: nothing was
    written; `comment` is the user's reason, for the model. `pending`: queued for review and not
    yet written. `conflict`: the file changed on disk since the proposal; nothing was written.
    """

    status: ChangeStatus
    comment: str | None = None
    written_hash: str | None = None


class ChangeSink(Protocol):
    """Receives proposed changes: the review/apply pipeline, or a test double."""

    async def propose(self, change: ProposedChange) -> ChangeOutcome: ...
