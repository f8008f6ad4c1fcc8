"""`ls`: a tree of the files under a directory, gitignore-aware and capped."""

from __future__ import annotations

from pydantic import Field

from codesm import native
from codesm.agent.tools.base import Params, Tool, ToolContext, ToolFailure, ToolResult
from codesm.agent.tools.search_common import run_native, search_root

MAX_ENTRIES = 500


class LsParams(Params):
    path: str | None = Field(
        default=None, description="Directory to list (default: the workspace root)."
    )
    ignore: list[str] = Field(
        default_factory=list,
        max_length=100,
        description='Glob patterns to leave out, e.g. ["*.log", "dist"].',
    )


def render_tree(label: str, files: list[str]) -> list[str]:
    """Indented tree lines (directories end with `/`) for sorted relative file paths."""
    lines = [f"{label.rstrip('/')}/"]
    open_dirs: list[str] = []
    for path in files:
        *dirs, name = path.split("/")
        common = 0
        while common < min(len(open_dirs), len(dirs)) and open_dirs[common] == dirs[common]:
            common += 1
        del open_dirs[common:]
        for depth in range(common, len(dirs)):
            lines.append(f"{'  ' * (depth + 1)}{dirs[depth]}/")
            open_dirs.append(dirs[depth])
        lines.append(f"{'  ' * (len(dirs) + 1)}{name}")
    return lines


class LsTool(Tool[LsParams]):
    name = "ls"
    params = LsParams
    read_only = True

    async def run(self, params: LsParams, ctx: ToolContext) -> ToolResult:
        root, rel = search_root(ctx, params.path)
        if not root.is_dir():
            raise ToolFailure(f"{rel} is a file, not a directory; use read to see its contents.")
        excludes = ["!.git"] + [f"!{g.removeprefix('!')}" for g in params.ignore if g.strip()]
        files = await run_native(native.walk(root, hidden=True, globs=excludes), "ignore glob")
        truncated = len(files) > MAX_ENTRIES
        shown = files[:MAX_ENTRIES]
        meta: dict[str, object] = {"files": len(files), "truncated": truncated}
        if not shown:
            return ToolResult(f"{rel}/ has no files (or all are ignored).", metadata=meta)
        out = "\n".join(render_tree(rel if rel != "." else ".", shown))
        if truncated:
            out += (
                f"\n\n(Showing {MAX_ENTRIES} of {len(files)} files. List a subdirectory, or use "
                "glob to find specific files.)"
            )
        return ToolResult(out, metadata=meta)
