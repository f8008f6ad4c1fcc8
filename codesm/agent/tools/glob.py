"""`glob`: find files by name pattern, newest first."""

from __future__ import annotations

import os

from pydantic import Field

from codesm import native
from codesm.agent.tools.base import Params, Tool, ToolContext, ToolFailure, ToolResult
from codesm.agent.tools.search_common import join_rel, run_native, search_root

MAX_RESULTS = 100


class GlobParams(Params):
    pattern: str = Field(
        min_length=1,
        max_length=1000,
        description='Glob pattern such as "**/*.py" or "src/**/*.{ts,tsx}".',
    )
    path: str | None = Field(
        default=None, description="Directory to search in (default: the workspace root)."
    )


def _relative_pattern(ctx: ToolContext, pattern: str) -> str:
    if not os.path.isabs(pattern):
        return pattern
    root = str(ctx.root.resolve())
    if pattern.startswith(root + "/"):
        return pattern[len(root) + 1 :]
    raise ToolFailure(
        "The pattern must be relative to the search directory (e.g. **/*.py); "
        "use the path parameter to pick a directory inside the workspace."
    )


def _wants_hidden(pattern: str) -> bool:
    return any(part.startswith(".") and part not in (".", "..") for part in pattern.split("/"))


class GlobTool(Tool[GlobParams]):
    name = "glob"
    params = GlobParams
    read_only = True

    async def run(self, params: GlobParams, ctx: ToolContext) -> ToolResult:
        root, rel = search_root(ctx, params.path)
        if not root.is_dir():
            raise ToolFailure(f"{rel} is a file, not a directory; give a directory as path.")
        pattern = _relative_pattern(ctx, params.pattern)
        hidden = _wants_hidden(pattern)
        found = await run_native(
            native.glob(pattern, root, sort="mtime", hidden=hidden, limit=MAX_RESULTS + 1),
            "glob pattern",
        )
        found = [f for f in found if not (f == ".git" or f.startswith(".git/") or "/.git/" in f)]
        truncated = len(found) > MAX_RESULTS
        paths = [join_rel(rel, f) for f in found[:MAX_RESULTS]]
        meta: dict[str, object] = {"count": len(paths), "truncated": truncated}
        if not paths:
            return ToolResult(f"No files match {pattern!r} under {rel}.", metadata=meta)
        out = "\n".join(paths)
        if truncated:
            out += (
                f"\n\n(Showing the {MAX_RESULTS} most recently modified matches; there are more. "
                "Use a more specific pattern or path.)"
            )
        return ToolResult(out, metadata=meta)
