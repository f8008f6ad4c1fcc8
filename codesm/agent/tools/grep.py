"""`grep`: search file contents with a regular expression (ripgrep semantics, gitignore-aware)."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from typing import Literal

from pydantic import Field

from codesm import native
from codesm.agent.tools.base import Params, Tool, ToolContext, ToolResult
from codesm.agent.tools.search_common import join_rel, run_native, search_root

DEFAULT_FILES = 100
DEFAULT_LINES = 200
MAX_COUNTED_LINES = 20_000
MAX_LISTED_FILES = 2_000

OutputMode = Literal["content", "files_with_matches", "count"]


class GrepParams(Params):
    pattern: str = Field(
        min_length=1, max_length=10_000, description="Regular expression (Rust regex syntax)."
    )
    path: str | None = Field(
        default=None, description="File or directory to search (default: the workspace root)."
    )
    include: str | None = Field(
        default=None,
        max_length=1000,
        description='Only search files matching this glob, e.g. "*.py".',
    )
    output_mode: OutputMode = Field(
        default="files_with_matches",
        description="content: matching lines; files_with_matches: file paths; count: per file.",
    )
    case_insensitive: bool = Field(default=False, alias="-i", description="Ignore case.")
    context: int = Field(
        default=0, ge=0, le=20, description="Lines of context around each match (content mode)."
    )
    head_limit: int | None = Field(
        default=None,
        ge=1,
        le=10_000,
        description="Return at most this many lines or files (default 200 lines / 100 files).",
    )


def _mtime(root: str, rel: str) -> float:
    try:
        return os.stat(os.path.join(root, rel)).st_mtime
    except OSError:
        return 0.0


class GrepTool(Tool[GrepParams]):
    name = "grep"
    params = GrepParams
    read_only = True

    async def run(self, params: GrepParams, ctx: ToolContext) -> ToolResult:
        root, rel = search_root(ctx, params.path)
        is_dir = root.is_dir()

        def shown(p: str) -> str:
            return join_rel(rel, p) if is_dir else rel

        globs = [params.include] if params.include else None
        mode = params.output_mode
        limit = params.head_limit or (DEFAULT_LINES if mode == "content" else DEFAULT_FILES)
        if mode == "content":
            max_results = limit + 1
        elif mode == "count":
            max_results = MAX_COUNTED_LINES
        else:
            max_results = max(limit + 1, MAX_LISTED_FILES)
        ctx_lines = params.context if mode == "content" else 0
        result = await run_native(
            native.grep(
                params.pattern,
                root,
                ignore_case=params.case_insensitive,
                globs=globs,
                before=ctx_lines,
                after=ctx_lines,
                files_with_matches=mode == "files_with_matches",
                max_results=max_results,
            ),
            "regular expression or include glob",
        )
        meta: dict[str, object] = {"files_searched": result.files_searched, "mode": mode}
        if not result.files:
            meta["count"] = 0
            return ToolResult(f"No matches for {params.pattern!r} under {rel}.", metadata=meta)
        if mode == "files_with_matches":
            files = sorted(result.files, key=lambda p: _mtime(str(root), p) if is_dir else 0.0)
            files.reverse()
            more = len(files) > limit or result.truncated
            lines = [shown(p) for p in files[:limit]]
        elif mode == "count":
            counts = Counter(m.path for m in result.matches)
            more = len(counts) > limit or result.truncated
            lines = [f"{shown(p)}:{n}" for p, n in sorted(counts.items())[:limit]]
        else:
            more = len(result.matches) > limit or result.truncated
            lines = _content_lines(result.matches[:limit], shown)
        meta.update(count=len(lines), truncated=more)
        out = "\n".join(lines)
        if more:
            out += f"\n\n(Results truncated at {limit}; narrow the pattern, path or include glob.)"
        return ToolResult(out, metadata=meta)


def _content_lines(matches: list[native.GrepMatch], shown: Callable[[str], str]) -> list[str]:
    out: list[str] = []
    last: tuple[str, int] | None = None
    for m in matches:
        name = shown(m.path)
        rows = [(n, t, "-") for n, t in m.before]
        cut = " [... line truncated]" if m.line_truncated else ""
        rows.append((m.line_number, m.line + cut, ":"))
        rows.extend((n, t, "-") for n, t in m.after)
        for number, text, sep in rows:
            if last is not None and last[0] == m.path and number <= last[1]:
                continue
            if (
                last is not None
                and (last[0] != m.path or number > last[1] + 1)
                and (m.before or m.after)
            ):
                out.append("--")
            out.append(f"{name}{sep}{number}{sep}{text}")
            last = (m.path, number)
    return out
