"""Builders for the change-pipeline tests: proposed changes from real files, a store, a session."""

from __future__ import annotations

from pathlib import Path

from codesm import _native
from codesm.agent.changes.model import ChangeKind, DiffHunk, DiffLine, ProposedChange, content_hash


def hunks_of(old: str, new: str) -> tuple[str, tuple[DiffHunk, ...]]:
    """The native unified diff of two texts and its hunks as the tools build them."""
    diff = _native.diff(old, new, old_label="a/f", new_label="b/f")
    hunks = tuple(
        DiffHunk(
            old_start=h.old_start,
            old_len=h.old_len,
            new_start=h.new_start,
            new_len=h.new_len,
            header=h.header,
            lines=tuple(
                DiffLine(tag=d.tag, text=d.text, old_lineno=d.old_lineno, new_lineno=d.new_lineno)
                for d in h.lines
            ),
        )
        for h in diff.hunks
    )
    return diff.unified, hunks


def propose(root: Path, rel: str, new: str | None, *, call_id: str = "c1") -> ProposedChange:
    """A change of `root/rel` to `new` (None: delete) against the file as it is now."""
    path = root / rel
    data = path.read_bytes() if path.exists() else None
    old = data.decode("utf-8", "surrogateescape") if data is not None else None
    kind: ChangeKind
    if old is None:
        kind = "create"
    elif new is None:
        kind = "delete"
    else:
        kind = "modify"
    unified, hunks = hunks_of(old or "", new or "")
    return ProposedChange(
        kind=kind,
        path=rel,
        abs_path=path,
        base_hash=content_hash(data) if data is not None else None,
        old_content=old,
        new_content=new,
        diff=unified,
        hunks=hunks,
        tool="edit",
        call_id=call_id,
    )


def numbered(n: int, prefix: str = "line", eol: str = "\n") -> str:
    return "".join(f"{prefix} {i}{eol}" for i in range(1, n + 1))
