"""`write`: create a file, or replace one the agent has read, as a proposed change."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field

from codesm.agent.changes.model import content_hash
from codesm.agent.tools.base import (
    Params,
    Tool,
    ToolContext,
    ToolResult,
    relative_display,
    resolve_path,
)
from codesm.agent.tools.proposing import (
    BOM,
    NotEditable,
    build_change,
    check_fresh,
    dominant_eol,
    regular_file_or_fail,
    submit,
)


class WriteParams(Params):
    path: str = Field(description="Path of the file, relative to the workspace root.")
    content: str = Field(description="The complete new content of the file.")


def _keep_style(old: str, new: str) -> str:
    """Give `new` the old file's BOM and CRLF line endings when the model wrote plain LF."""
    if old.startswith(BOM) and not new.startswith(BOM):
        new = BOM + new
    if dominant_eol(old) == "\r\n" and "\r\n" not in new:
        new = new.replace("\n", "\r\n")
    return new


def _exists(path: Path) -> bool:
    try:
        os.lstat(path)
    except FileNotFoundError:
        return False
    return True


class WriteTool(Tool[WriteParams]):
    name = "write"
    params = WriteParams
    read_only = False

    async def run(self, params: WriteParams, ctx: ToolContext) -> ToolResult:
        path = resolve_path(ctx, params.path, allow_root=False)
        rel = relative_display(ctx, path)
        if not _exists(path):
            change = await build_change(
                ctx,
                tool=self.name,
                kind="create",
                abs_path=path,
                rel=rel,
                base_hash=None,
                old=None,
                new=params.content,
            )
            lines = params.content.count("\n") + (0 if params.content.endswith("\n") else 1)
            return await submit(ctx, change, f"Created {rel} ({lines} lines).")
        regular_file_or_fail(path, rel)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise NotEditable(f"Cannot read {rel}: {exc.strerror or exc}") from exc
        digest = content_hash(data)
        check_fresh(ctx, path, rel, digest)
        old = data.decode("utf-8", errors="replace")
        new = _keep_style(old, params.content)
        if new.encode("utf-8") == data:
            return ToolResult(f"{rel} already has exactly this content; nothing changed.")
        change = await build_change(
            ctx,
            tool=self.name,
            kind="modify",
            abs_path=path,
            rel=rel,
            base_hash=digest,
            old=old,
            new=new,
        )
        return await submit(ctx, change, f"Wrote {rel} (+{change.added} -{change.removed} lines).")
