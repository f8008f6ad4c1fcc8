"""`edit`: replace one exact (or forgivingly matched) piece of text in a file."""

from __future__ import annotations

from pydantic import Field

from codesm.agent.tools.base import Params, Tool, ToolContext, ToolResult
from codesm.agent.tools.edit_match import EditApplied, apply_edit
from codesm.agent.tools.proposing import BOM, build_change, load_for_edit, submit


class EditParams(Params):
    path: str = Field(description="Path of the file, relative to the workspace root.")
    old_string: str = Field(description="The exact text to replace (without line-number prefixes).")
    new_string: str = Field(description="The text to put in its place (must differ).")
    replace_all: bool = Field(
        default=False, description="Replace every occurrence instead of requiring a unique one."
    )


def describe(applied: EditApplied) -> str:
    where = ", ".join(str(n) for n in applied.lines[:10])
    many = "s" if applied.count > 1 else ""
    return (
        f"{applied.count} replacement{many} at line{many} {where}"
        f"{', ...' if applied.count > 10 else ''} (matcher: {applied.matcher})"
    )


class EditTool(Tool[EditParams]):
    name = "edit"
    params = EditParams
    read_only = False

    async def run(self, params: EditParams, ctx: ToolContext) -> ToolResult:
        loaded = load_for_edit(ctx, params.path)
        applied = apply_edit(
            loaded.text,
            params.old_string,
            params.new_string,
            replace_all=params.replace_all,
            path=loaded.rel,
        )
        prefix = BOM if loaded.bom else ""
        change = await build_change(
            ctx,
            tool=self.name,
            kind="modify",
            abs_path=loaded.abs_path,
            rel=loaded.rel,
            base_hash=loaded.digest,
            old=prefix + loaded.text,
            new=prefix + applied.content,
            matchers=(applied.matcher,),
        )
        return await submit(ctx, change, f"Edited {loaded.rel}: {describe(applied)}.")
