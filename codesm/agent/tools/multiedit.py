"""`multiedit`: several edits to one file, applied in order in memory, all or nothing."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from codesm.agent.tools.base import Params, Tool, ToolContext, ToolFailure, ToolResult
from codesm.agent.tools.edit import describe
from codesm.agent.tools.edit_match import EditNoChange, apply_edit
from codesm.agent.tools.proposing import BOM, build_change, load_for_edit, submit

MAX_EDITS = 100


class EditOperation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    old_string: str = Field(description="The exact text to replace.")
    new_string: str = Field(description="The text to put in its place.")
    replace_all: bool = Field(default=False, description="Replace every occurrence.")


class MultiEditParams(Params):
    path: str = Field(description="Path of the file, relative to the workspace root.")
    edits: list[EditOperation] = Field(
        min_length=1,
        max_length=MAX_EDITS,
        description="Edits applied in order, each to the result of the previous one.",
    )


class EditStepFailed(ToolFailure):
    """One edit of a multiedit failed; none was applied. `index` is 1-based."""

    def __init__(self, message: str, *, index: int, cause: str) -> None:
        super().__init__(message)
        self.index = index
        self.cause = cause


class MultiEditTool(Tool[MultiEditParams]):
    name = "multiedit"
    params = MultiEditParams
    read_only = False

    async def run(self, params: MultiEditParams, ctx: ToolContext) -> ToolResult:
        loaded = load_for_edit(ctx, params.path)
        text = loaded.text
        matchers: list[str] = []
        done: list[str] = []
        total = len(params.edits)
        for index, op in enumerate(params.edits, start=1):
            try:
                applied = apply_edit(
                    text, op.old_string, op.new_string, replace_all=op.replace_all, path=loaded.rel
                )
            except ToolFailure as exc:
                raise EditStepFailed(
                    f"Edit {index} of {total} failed, so none of the edits were applied "
                    f"({loaded.rel} is unchanged): {exc}",
                    index=index,
                    cause=type(exc).__name__,
                ) from exc
            text = applied.content
            matchers.append(applied.matcher)
            done.append(f"  {index}. {describe(applied)}")
        if text == loaded.text:
            raise EditNoChange(f"Together the edits leave {loaded.rel} unchanged; nothing to do.")
        prefix = BOM if loaded.bom else ""
        change = await build_change(
            ctx,
            tool=self.name,
            kind="modify",
            abs_path=loaded.abs_path,
            rel=loaded.rel,
            base_hash=loaded.digest,
            old=prefix + loaded.text,
            new=prefix + text,
            matchers=tuple(matchers),
        )
        summary = f"Applied {total} edit(s) to {loaded.rel}:\n" + "\n".join(done)
        return await submit(ctx, change, summary)
