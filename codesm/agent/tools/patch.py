"""`patch`: add, update, move and delete files from one patch, as proposed changes.

The patch is parsed (`patch_parse`) and every file operation is checked and computed in memory
first: paths confined, files read and unchanged since, every hunk applies, added files absent.
Only when all of them pass is any change proposed, so a patch with one bad hunk changes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, cast

from pydantic import Field

from codesm.agent.changes.model import ChangeKind, ChangeOutcome, ProposedChange
from codesm.agent.tools.base import (
    Params,
    Tool,
    ToolContext,
    ToolResult,
    relative_display,
    resolve_path,
)
from codesm.agent.tools.patch_apply import PatchedText, apply_hunks, join_lines, split_text
from codesm.agent.tools.patch_parse import FileOp, MalformedPatch, parse_patch, patch_paths
from codesm.agent.tools.proposing import (
    BOM,
    LoadedFile,
    build_change,
    describe_outcome,
    load_for_edit,
)
from codesm.errors import ToolFailure

MAX_PATCH_FILES = 100
_DIFF_IN_RESULT = 4000


class PatchTargetExists(ToolFailure):
    """A file to add, or a move destination, already exists."""


class PatchNoChange(ToolFailure):
    """Applying the patch leaves every file as it was."""


class PatchParams(Params):
    patch_text: str = Field(
        min_length=1,
        description=(
            "The patch: a '*** Begin Patch' ... '*** End Patch' envelope, or a unified diff "
            "('--- a/path' / '+++ b/path' / '@@ ... @@')."
        ),
    )


@dataclass(frozen=True)
class _Planned:
    changes: tuple[ProposedChange, ...]
    summary: str


def _absent(ctx: ToolContext, user_path: str) -> tuple[Path, str]:
    path = resolve_path(ctx, user_path, allow_root=False)
    rel = relative_display(ctx, path)
    if os.path.lexists(path):
        raise PatchTargetExists(
            f"{rel} already exists. Use '*** Update File:' (or a diff against it) to change it."
        )
    return path, rel


class _BatchSink(Protocol):
    async def propose_batch(self, changes: Sequence[ProposedChange]) -> list[ChangeOutcome]: ...


async def _propose_all(ctx: ToolContext, changes: Sequence[ProposedChange]) -> list[ChangeOutcome]:
    """One proposal for the whole patch (reviewed and applied all or nothing) where the sink
    offers `propose_batch`; otherwise one proposal per file, in order."""
    if hasattr(ctx.changes, "propose_batch"):
        return await cast(_BatchSink, ctx.changes).propose_batch(changes)
    return [await ctx.changes.propose(change) for change in changes]


def _applied_text(
    planned: Sequence[_Planned],
    changes: Sequence[ProposedChange],
    outcomes: Sequence[ChangeOutcome],
) -> str:
    lines = ["Applied the patch:", *(f"- {p.summary}" for p in planned if p.changes)]
    for comment in dict.fromkeys(o.comment for o in outcomes if o.comment):
        lines.append(f"Note: {comment}")
    diff = "".join(c.diff for c in changes)
    if diff and len(diff) <= _DIFF_IN_RESULT:
        lines += ["", diff.rstrip("\n")]
    return "\n".join(lines)


def _new_file_text(op: FileOp) -> str:
    return join_lines(op.added_lines, "\n", not op.no_newline_at_end) if op.added_lines else ""


class PatchTool(Tool[PatchParams]):
    name = "patch"
    params = PatchParams
    read_only = False

    def permission_paths(self, arguments: dict[str, Any]) -> tuple[str, ...]:
        text = arguments.get("patch_text")
        return patch_paths(text) if isinstance(text, str) else ()

    async def run(self, params: PatchParams, ctx: ToolContext) -> ToolResult:
        ops = parse_patch(params.patch_text)
        if len(ops) > MAX_PATCH_FILES:
            raise ToolFailure(
                f"The patch changes {len(ops)} files; at most {MAX_PATCH_FILES} per call."
            )
        planned = [await self._plan(op, ctx) for op in ops]
        changes = [c for p in planned for c in p.changes]
        targets = [c.abs_path for c in changes]
        if len(set(targets)) != len(targets):
            raise MalformedPatch("The patch changes the same file in more than one section.")
        if not changes:
            raise PatchNoChange("The patch changes nothing: every file would stay as it is.")
        outcomes = await _propose_all(ctx, changes)
        by_id = {c.change_id: p.summary for p in planned for c in p.changes}
        results = [
            describe_outcome(ctx, change, outcome, by_id[change.change_id])
            for change, outcome in zip(changes, outcomes, strict=True)
        ]
        is_error = any(r.is_error for r in results)
        if all(o.status == "applied" for o in outcomes):
            body = _applied_text(planned, changes, outcomes)
        else:
            body = "\n\n".join(dict.fromkeys(r.content for r in results))
            if is_error and len(results) > 1 and not all(r.is_error for r in results):
                body = "Not every file of the patch was applied:\n\n" + body
        meta: dict[str, object] = {
            "files": [r.metadata for r in results],
            "paths": [c.path for c in changes],
        }
        return ToolResult(body, is_error=is_error, metadata=meta)

    async def _plan(self, op: FileOp, ctx: ToolContext) -> _Planned:
        if op.kind == "add":
            path, rel = _absent(ctx, op.path)
            text = _new_file_text(op)
            change = await self._change(ctx, "create", path, rel, None, None, text)
            return _Planned((change,), f"Added {rel} ({len(op.added_lines)} lines).")
        loaded = load_for_edit(ctx, op.path)
        old = (BOM if loaded.bom else "") + loaded.text
        if op.kind == "delete":
            if op.hunks:
                self._check_deletion(op, loaded)
            change = await self._change(
                ctx, "delete", loaded.abs_path, loaded.rel, loaded.digest, old, None
            )
            return _Planned((change,), f"Deleted {loaded.rel}.")
        if op.hunks:
            patched = apply_hunks(loaded.text, op.hunks, path=loaded.rel)
        else:
            patched = PatchedText(loaded.text, ())
        new = (BOM if loaded.bom else "") + patched.text
        how = f"matcher: {', '.join(sorted(set(patched.matchers)))}" if patched.matchers else ""
        if op.move_to is None:
            if new == old:
                return _Planned((), "")
            change = await self._change(
                ctx,
                "modify",
                loaded.abs_path,
                loaded.rel,
                loaded.digest,
                old,
                new,
                patched.matchers,
            )
            return _Planned(
                (change,),
                f"Updated {loaded.rel} (+{change.added} -{change.removed} lines; {how}).",
            )
        dest, dest_rel = _absent(ctx, op.move_to)
        removal = await self._change(
            ctx, "delete", loaded.abs_path, loaded.rel, loaded.digest, old, None
        )
        creation = await self._change(
            ctx, "create", dest, dest_rel, None, None, new, patched.matchers
        )
        return _Planned((removal, creation), f"Moved {loaded.rel} to {dest_rel}.")

    def _check_deletion(self, op: FileOp, loaded: LoadedFile) -> None:
        removed = [t for h in op.hunks for t in h.old_lines]
        actual = split_text(loaded.text).lines
        if [t.rstrip() for t in removed] != [t.rstrip() for t in actual]:
            raise ToolFailure(
                f"{loaded.rel}: the diff deletes the file but its '-' lines are not the file's "
                "content. Read the file again, or use '*** Delete File:'."
            )

    async def _change(
        self,
        ctx: ToolContext,
        kind: ChangeKind,
        path: Path,
        rel: str,
        base_hash: str | None,
        old: str | None,
        new: str | None,
        matchers: tuple[str, ...] = (),
    ) -> ProposedChange:
        return await build_change(
            ctx,
            tool=self.name,
            kind=kind,
            abs_path=path,
            rel=rel,
            base_hash=base_hash,
            old=old,
            new=new,
            matchers=matchers,
        )
