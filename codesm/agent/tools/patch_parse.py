"""Parse the two patch formats the `patch` tool takes into one model of file operations.

- The `*** Begin Patch` envelope (OpenAI's V4A format, which GPT models are trained on):
  `*** Add File:`, `*** Update File:` (optionally `*** Move to:`, then hunks introduced by `@@`
  with an optional anchor line, and `*** End of File`), `*** Delete File:`, `*** End Patch`.
- Unified diffs (`--- a/x` / `+++ b/x` / `@@ -a,b +c,d @@`), several files, `/dev/null` for an
  added or deleted file, git's `diff --git`/`index`/mode/rename lines.

Parsing is strict: anything not understood is a `MalformedPatch` naming its line (1-based).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from codesm.errors import ToolFailure

__all__ = ["FileOp", "Hunk", "HunkLine", "MalformedPatch", "parse_patch", "patch_paths"]

OpKind = Literal["add", "update", "delete"]
Tag = Literal[" ", "-", "+"]

_BEGIN, _END = "*** Begin Patch", "*** End Patch"
_V4A_FILE = re.compile(r"^\*\*\* (Add|Update|Delete) File: ?(.*)$")
_MOVE = re.compile(r"^\*\*\* Move to: ?(.*)$")
_EOF_MARK = "*** End of File"
_UNIFIED_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_GIT_NOISE = (
    "diff --git ",
    "index ",
    "new file mode ",
    "deleted file mode ",
    "old mode ",
    "new mode ",
    "similarity index ",
    "dissimilarity index ",
    "rename from ",
    "rename to ",
    "copy from ",
    "copy to ",
)
_NO_NEWLINE = "\\ No newline at end of file"


class MalformedPatch(ToolFailure):
    """The patch text does not parse; the message names the line."""


@dataclass(frozen=True)
class HunkLine:
    tag: Tag
    text: str


@dataclass
class Hunk:
    """One hunk: context (` `), removed (`-`) and added (`+`) lines.

    `anchor` is the V4A `@@ text` line to find first; `old_start` the unified header's line
    number (a hint for where to look); `at_eof` that the hunk must end at the end of the file.
    """

    line_no: int
    lines: list[HunkLine] = field(default_factory=list)
    anchor: str | None = None
    old_start: int | None = None
    at_eof: bool = False
    no_newline_at_end: bool = False

    @property
    def old_lines(self) -> list[str]:
        return [ln.text for ln in self.lines if ln.tag != "+"]

    @property
    def new_lines(self) -> list[str]:
        return [ln.text for ln in self.lines if ln.tag != "-"]


@dataclass
class FileOp:
    kind: OpKind
    path: str
    line_no: int
    move_to: str | None = None
    hunks: list[Hunk] = field(default_factory=list)
    added_lines: list[str] = field(default_factory=list)
    """The whole content of an added file, line by line."""
    no_newline_at_end: bool = False


def _fail(line_no: int, message: str) -> MalformedPatch:
    return MalformedPatch(f"Malformed patch, line {line_no}: {message}")


def parse_patch(text: str) -> list[FileOp]:
    """The file operations of `text`, in order; raises `MalformedPatch`."""
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if first is None:
        raise MalformedPatch("The patch is empty.")
    if lines[first].strip() == _BEGIN:
        ops = _parse_v4a(lines, first)
    elif any(ln.startswith("--- ") for ln in lines):
        ops = _parse_unified(lines)
    else:
        raise _fail(
            first + 1,
            f"expected {_BEGIN!r} or a unified diff starting with '--- a/<path>', got "
            f"{lines[first][:80]!r}.",
        )
    if not ops:
        raise MalformedPatch("The patch names no file to add, update or delete.")
    seen: dict[str, int] = {}
    for op in ops:
        for path in (op.path, op.move_to):
            if path is None:
                continue
            if path in seen:
                raise _fail(
                    op.line_no, f"{path} is already changed by the section at line {seen[path]}."
                )
            seen[path] = op.line_no
    return ops


def _hunk_line(raw: str, line_no: int, where: str) -> HunkLine:
    if raw == "":
        return HunkLine(" ", "")
    tag = raw[0]
    if tag in (" ", "-", "+"):
        return HunkLine(tag, raw[1:])  # type: ignore[arg-type]
    raise _fail(
        line_no,
        f"{where} lines must start with ' ' (context), '-' (remove) or '+' (add); got "
        f"{raw[:80]!r}.",
    )


def _parse_v4a(lines: list[str], first: int) -> list[FileOp]:
    ops: list[FileOp] = []
    current: FileOp | None = None
    hunk: Hunk | None = None
    end = next((i for i in range(len(lines) - 1, first, -1) if lines[i].strip()), first)
    if lines[end].strip() != _END:
        raise _fail(end + 1, f"the patch must end with {_END!r}.")
    for index in range(first + 1, end):
        raw, n = lines[index], index + 1
        header = _V4A_FILE.match(raw)
        if header:
            path = header.group(2).strip()
            if not path:
                raise _fail(n, f"{raw.strip()!r} needs a path.")
            kind = {"Add": "add", "Update": "update", "Delete": "delete"}[header.group(1)]
            current, hunk = FileOp(kind, path, n), None  # type: ignore[arg-type]
            ops.append(current)
            continue
        if current is None:
            if not raw.strip():
                continue
            raise _fail(
                n,
                f"expected '*** Add File:', '*** Update File:' or "
                f"'*** Delete File:', got {raw[:80]!r}.",
            )
        if current.kind == "delete":
            if raw.strip():
                raise _fail(n, f"a '*** Delete File:' section has no body; got {raw[:80]!r}.")
            continue
        if current.kind == "add":
            if raw.startswith("+") or not raw.strip():
                current.added_lines.append(raw[1:])
            else:
                raise _fail(
                    n, f"every line of an added file must start with '+'; got {raw[:80]!r}."
                )
            continue
        move = _MOVE.match(raw)
        if move:
            if current.hunks or current.move_to is not None:
                raise _fail(n, "'*** Move to:' must come right after '*** Update File:'.")
            current.move_to = move.group(1).strip() or None
            if current.move_to is None:
                raise _fail(n, "'*** Move to:' needs a path.")
            continue
        if raw.startswith("@@"):
            numbered = _UNIFIED_HEADER.match(raw)
            if numbered:  # a unified header inside the envelope: its line number is a hint
                hunk = Hunk(n, old_start=int(numbered.group(1)))
            else:
                hunk = Hunk(n, anchor=raw[2:].strip() or None)
            current.hunks.append(hunk)
            continue
        if raw.strip() == _EOF_MARK:
            if hunk is None or not hunk.lines:
                raise _fail(n, f"{_EOF_MARK!r} must follow the lines of a hunk.")
            hunk.at_eof = True
            continue
        if raw.startswith("***"):
            raise _fail(n, f"unknown patch directive {raw[:80]!r}.")
        if hunk is None:
            hunk = Hunk(n)
            current.hunks.append(hunk)
        elif hunk.at_eof:
            raise _fail(n, f"nothing may follow {_EOF_MARK!r} in a hunk; start a new '@@' hunk.")
        hunk.lines.append(_hunk_line(raw, n, "Update File"))
    for op in ops:
        while op.kind == "add" and op.added_lines and op.added_lines[-1] == "":
            op.added_lines.pop()
        if op.kind != "update":
            continue
        if not op.hunks and op.move_to is None:
            raise _fail(op.line_no, f"'*** Update File: {op.path}' has no hunks.")
        for h in op.hunks:
            _trim_trailing_blank_context(h)
            if not any(ln.tag != " " for ln in h.lines) and op.move_to is None:
                raise _fail(h.line_no, "this hunk has no '-' or '+' line: it changes nothing.")
    return ops


def _trim_trailing_blank_context(hunk: Hunk) -> None:
    # A blank line before the next section is layout, not an empty context line.
    while hunk.lines and hunk.lines[-1] == HunkLine(" ", "") and len(hunk.lines) > 1:
        hunk.lines.pop()


def _strip_prefix(raw: str, prefix: str) -> str | None:
    path = raw[4:].split("\t", 1)[0].strip()
    if path.startswith('"') and path.endswith('"') and len(path) > 1:
        path = path[1:-1]
    if path == "/dev/null":
        return None
    return path[2:] if path.startswith(prefix) else path


def _parse_unified(lines: list[str]) -> list[FileOp]:
    ops: list[FileOp] = []
    index = 0
    current: FileOp | None = None
    while index < len(lines):
        raw, n = lines[index], index + 1
        if (
            raw.startswith("--- ")
            and index + 1 < len(lines)
            and lines[index + 1].startswith("+++ ")
        ):
            old, new = _strip_prefix(raw, "a/"), _strip_prefix(lines[index + 1], "b/")
            if old is None and new is None:
                raise _fail(n, "both sides are /dev/null.")
            if not (old or new):
                raise _fail(n, "the file header names no path.")
            if old is None:
                current = FileOp("add", new or "", n)
            elif new is None:
                current = FileOp("delete", old, n)
            else:
                current = FileOp("update", old, n, move_to=new if new != old else None)
            ops.append(current)
            index += 2
            continue
        if raw.startswith("@@"):
            if current is None:
                raise _fail(n, "a hunk before any '--- a/<path>' / '+++ b/<path>' header.")
            index = _parse_unified_hunk(lines, index, current)
            continue
        if raw.startswith("Binary files ") or raw.startswith("GIT binary patch"):
            raise _fail(n, "binary patches are not supported.")
        if raw.startswith("--- "):
            raise _fail(n, "'--- <path>' must be followed by '+++ <path>'.")
        if current is not None and raw[:1] in ("+", "-", " ") and not raw.startswith(_GIT_NOISE):
            raise _fail(n, f"{raw[:80]!r} is outside any hunk (does a hunk header undercount?).")
        index += 1
    for op in ops:
        if not op.hunks and op.move_to is None:
            raise _fail(op.line_no, f"the diff of {op.path} has no hunks.")
        if op.kind == "add":
            for h in op.hunks:
                if h.old_lines:
                    raise _fail(h.line_no, "a hunk of a new file (from /dev/null) removes lines.")
            op.added_lines = [t for h in op.hunks for t in h.new_lines]
            op.no_newline_at_end = any(h.no_newline_at_end for h in op.hunks)
        if op.kind == "delete" and any(h.new_lines for h in op.hunks):
            raise _fail(op.line_no, "a hunk of a deleted file (to /dev/null) adds lines.")
    return ops


def _parse_unified_hunk(lines: list[str], index: int, op: FileOp) -> int:
    raw, n = lines[index], index + 1
    header = _UNIFIED_HEADER.match(raw)
    if header is None:
        raise _fail(n, f"a hunk header must look like '@@ -12,3 +12,4 @@'; got {raw[:80]!r}.")
    old_len = 1 if header.group(2) is None else int(header.group(2))
    new_len = 1 if header.group(4) is None else int(header.group(4))
    hunk = Hunk(n, old_start=int(header.group(1)))
    old_seen = new_seen = 0
    index += 1
    while old_seen < old_len or new_seen < new_len:
        if index >= len(lines) or (
            lines[index].startswith("@@")
            or (
                lines[index].startswith("--- ")
                and index + 1 < len(lines)
                and lines[index + 1].startswith("+++ ")
            )
        ):
            raise _fail(
                n,
                f"the header says {old_len} old and {new_len} new lines but the hunk has "
                f"{old_seen} and {new_seen}.",
            )
        if lines[index].startswith(_NO_NEWLINE):
            index += 1
            continue
        line = _hunk_line(lines[index], index + 1, "Hunk")
        old_seen += line.tag != "+"
        new_seen += line.tag != "-"
        if old_seen > old_len or new_seen > new_len:
            raise _fail(
                index + 1, f"the hunk is longer than its header {raw.split('@@')[1]!r} says."
            )
        hunk.lines.append(line)
        index += 1
    if index < len(lines) and lines[index].startswith(_NO_NEWLINE):
        if hunk.lines and hunk.lines[-1].tag != "-":
            hunk.no_newline_at_end = True
        index += 1
    op.hunks.append(hunk)
    return index


_PATH_LINE = re.compile(
    r"^(?:\*\*\* (?:Add|Update|Delete) File: ?|\*\*\* Move to: ?|--- (?:a/)?|\+\+\+ (?:b/)?)(.+)$"
)


def patch_paths(text: str) -> tuple[str, ...]:
    """Every path a patch names, found leniently (for the permission check before parsing)."""
    found: list[str] = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        match = _PATH_LINE.match(raw)
        if match:
            path = match.group(1).split("\t", 1)[0].strip()
            if path and path != "/dev/null" and path not in found:
                found.append(path)
    return tuple(found)
