"""Shared steps of the file-changing tools: load a file the agent has read, check it did not move
on, build a `ProposedChange`, and turn the sink's answer into the result the model reads."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from codesm import native
from codesm.agent.changes.model import (
    ChangeKind,
    ChangeOutcome,
    DiffHunk,
    DiffLine,
    ProposedChange,
    content_hash,
)
from codesm.agent.tools.base import ToolContext, ToolResult, relative_display, resolve_path
from codesm.errors import ToolFailure

MAX_EDIT_BYTES = 16 * 1024 * 1024
BOM = "\ufeff"
_DIFF_IN_RESULT = 4000


class NotReadYet(ToolFailure):
    """The file exists but the agent never read it in this session."""


class StaleFile(ToolFailure):
    """The file changed on disk since the agent last read it."""


class NotEditable(ToolFailure):
    """A directory, a special file, a binary or non-UTF-8 file, or a file too big to edit."""


@dataclass(frozen=True)
class LoadedFile:
    abs_path: Path
    rel: str
    data: bytes
    digest: str
    text: str
    """Decoded content with the BOM (if any) removed."""
    bom: bool


def regular_file_or_fail(path: Path, rel: str) -> os.stat_result:
    st = os.stat(path)
    if stat.S_ISDIR(st.st_mode):
        raise NotEditable(f"{rel} is a directory, not a file. Use the ls tool to list it.")
    if not stat.S_ISREG(st.st_mode):
        raise NotEditable(f"{rel} is not a regular file (a FIFO, socket or device); refusing.")
    return st


def check_fresh(ctx: ToolContext, path: Path, rel: str, digest: str) -> None:
    """Refuse a change to a file the agent never read, or that changed since it read it."""
    seen = ctx.read_ledger.get(path)
    if seen is None:
        raise NotReadYet(
            f"{rel} exists but has not been read in this session. Read it with the read tool "
            "first, then retry."
        )
    if seen != digest:
        raise StaleFile(
            f"{rel} changed on disk since you last read it (by the user or another process). "
            "Read it again, then redo the change against the current content."
        )


def load_for_edit(ctx: ToolContext, user_path: str) -> LoadedFile:
    """Load an existing UTF-8 text file for an edit, after the confinement and freshness checks."""
    path = resolve_path(ctx, user_path, must_exist=True, allow_root=False)
    rel = relative_display(ctx, path)
    st = regular_file_or_fail(path, rel)
    if st.st_size > MAX_EDIT_BYTES:
        raise NotEditable(
            f"{rel} is {st.st_size:,} bytes; files over {MAX_EDIT_BYTES:,} bytes cannot be "
            "edited with this tool."
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise NotEditable(f"Cannot read {rel}: {exc.strerror or exc}") from exc
    digest = content_hash(data)
    check_fresh(ctx, path, rel, digest)
    if b"\0" in data:
        raise NotEditable(f"{rel} looks binary (it contains NUL bytes); it cannot be edited.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotEditable(
            f"{rel} is not valid UTF-8 (byte {exc.start}); it cannot be edited safely. "
            "Use write to replace it whole if that is intended."
        ) from exc
    bom = text.startswith(BOM)
    return LoadedFile(path, rel, data, digest, text[1:] if bom else text, bom)


def dominant_eol(text: str) -> str:
    crlf = text.count("\r\n")
    return "\r\n" if crlf and crlf >= text.count("\n") - crlf else "\n"


async def build_change(
    ctx: ToolContext,
    *,
    tool: str,
    kind: ChangeKind,
    abs_path: Path,
    rel: str,
    base_hash: str | None,
    old: str | None,
    new: str | None,
    matchers: tuple[str, ...] = (),
) -> ProposedChange:
    """A `ProposedChange` with its unified diff and hunks from the native diff."""
    old_label = f"a/{rel}" if old is not None else "/dev/null"
    new_label = f"b/{rel}" if new is not None else "/dev/null"
    diff = await native.diff(old or "", new or "", old_label=old_label, new_label=new_label)
    hunks = tuple(
        DiffHunk(
            old_start=h.old_start,
            old_len=h.old_len,
            new_start=h.new_start,
            new_len=h.new_len,
            header=h.header,
            lines=tuple(
                DiffLine(
                    tag=dl.tag, text=dl.text, old_lineno=dl.old_lineno, new_lineno=dl.new_lineno
                )
                for dl in h.lines
            ),
        )
        for h in diff.hunks
    )
    return ProposedChange(
        kind=kind,
        path=rel,
        abs_path=abs_path,
        base_hash=base_hash,
        old_content=old,
        new_content=new,
        diff=diff.unified,
        hunks=hunks,
        added=diff.added,
        removed=diff.removed,
        matchers=matchers,
        tool=tool,
        call_id=ctx.call_id,
    )


async def submit(ctx: ToolContext, change: ProposedChange, summary: str) -> ToolResult:
    """Hand the change to the sink and describe the outcome for the model."""
    return describe_outcome(ctx, change, await ctx.changes.propose(change), summary)


def describe_outcome(
    ctx: ToolContext, change: ProposedChange, outcome: ChangeOutcome, summary: str
) -> ToolResult:
    """The result the model reads for one change's outcome; keeps the read ledger in step."""
    meta: dict[str, object] = {
        "path": change.path,
        "change_id": change.change_id,
        "kind": change.kind,
        "status": outcome.status,
        "added": change.added,
        "removed": change.removed,
        "matchers": list(change.matchers),
    }
    note = f"\nNote from the user: {outcome.comment}" if outcome.comment else ""
    if outcome.status == "applied":
        written = outcome.written_hash
        if written is None and change.new_content is not None:
            written = content_hash(change.new_content.encode("utf-8"))
        if written is not None:
            ctx.read_ledger.record(change.abs_path, written)
        else:
            ctx.read_ledger.forget(change.abs_path)
        body = summary + note
        if change.diff and len(change.diff) <= _DIFF_IN_RESULT:
            body += "\n\n" + change.diff.rstrip("\n")
        return ToolResult(body, metadata=meta)
    if outcome.status == "pending":
        return ToolResult(
            f"The change to {change.path} was proposed and is waiting for the user's review; it "
            f"is not applied yet.{note}",
            metadata=meta,
        )
    if outcome.status == "rejected":
        return ToolResult(
            f"The user rejected the change to {change.path}; the file was not modified.{note}",
            is_error=True,
            metadata=meta,
        )
    ctx.read_ledger.forget(change.abs_path)
    return ToolResult(
        f"Conflict: {change.path} changed on disk before the change could be applied, so nothing "
        f"was written. Read the file again and redo the change.{note}",
        is_error=True,
        metadata=meta,
    )
