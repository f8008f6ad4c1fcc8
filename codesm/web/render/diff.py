"""Unified diffs parsed into files and hunks, each line syntax-highlighted for review.

The diff text comes from the core (a proposed change) and names files chosen by the model, so
everything here is escaped; highlighting runs once per side of each file, not per line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from markupsafe import Markup, escape

from codesm.web.render.highlight import highlight_lines, lexer_for

LineKind = Literal["add", "del", "ctx", "note"]
DiffLayout = Literal["unified", "split"]
DIFF_LAYOUT_COOKIE = "codesm_diff"
"""The browser's choice of layout, read when a page or socket renders (unified when unset)."""
HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$")
MAX_DIFF_LINES = 20_000


@dataclass
class DiffLine:
    kind: LineKind
    old_no: int | None
    new_no: int | None
    text: str
    html: Markup = field(default_factory=Markup)


@dataclass(frozen=True, slots=True)
class SplitRow:
    """One row of a side-by-side hunk: the old line on the left, the new one on the right
    (either may be missing), or a note across both sides."""

    left: DiffLine | None
    right: DiffLine | None
    note: DiffLine | None = None


@dataclass
class DiffHunk:
    header: str
    section: str
    index: int = 0
    """0-based position among all hunks of the diff (what `Approve(hunks=...)` counts)."""
    lines: list[DiffLine] = field(default_factory=list)

    def split_rows(self) -> list[SplitRow]:
        """The hunk side by side: each run of removed lines is paired, line for line, with the
        added lines that follow it; context lines sit on both sides."""
        rows: list[SplitRow] = []
        removed: list[DiffLine] = []
        added: list[DiffLine] = []

        def flush() -> None:
            for n in range(max(len(removed), len(added))):
                left = removed[n] if n < len(removed) else None
                right = added[n] if n < len(added) else None
                rows.append(SplitRow(left, right))
            removed.clear()
            added.clear()

        for line in self.lines:
            if line.kind == "del":
                if added:  # a removal after additions starts a new run
                    flush()
                removed.append(line)
            elif line.kind == "add":
                added.append(line)
            else:
                flush()
                rows.append(
                    SplitRow(None, None, line) if line.kind == "note" else SplitRow(line, line)
                )
        flush()
        return rows


@dataclass
class DiffFile:
    old_path: str
    new_path: str
    hunks: list[DiffHunk] = field(default_factory=list)

    @property
    def path(self) -> str:
        return self.new_path if self.new_path != "/dev/null" else self.old_path

    @property
    def added(self) -> int:
        return sum(line.kind == "add" for hunk in self.hunks for line in hunk.lines)

    @property
    def removed(self) -> int:
        return sum(line.kind == "del" for hunk in self.hunks for line in hunk.lines)


@dataclass
class ParsedDiff:
    files: list[DiffFile]
    truncated: bool = False

    @property
    def hunk_count(self) -> int:
        return sum(len(f.hunks) for f in self.files)

    @property
    def added(self) -> int:
        return sum(f.added for f in self.files)

    @property
    def removed(self) -> int:
        return sum(f.removed for f in self.files)


def diff_layout(value: str | None) -> DiffLayout:
    """A layout named by a cookie or query parameter; anything else is unified."""
    return "split" if value == "split" else "unified"


def _strip_label(path: str) -> str:
    path = path.split("\t", 1)[0].strip()
    return path[2:] if path[:2] in ("a/", "b/") else path


def parse_unified_diff(text: str) -> ParsedDiff:
    """Files, hunks and numbered lines of a unified diff; unknown lines are kept as notes."""
    files: list[DiffFile] = []
    current: DiffFile | None = None
    hunk: DiffHunk | None = None
    old_no = new_no = 0
    lines = text.splitlines()
    truncated = len(lines) > MAX_DIFF_LINES
    pending_old: str | None = None
    for raw in lines[:MAX_DIFF_LINES]:
        if raw.startswith("--- ") and (hunk is None or not _in_hunk(hunk, old_no, new_no)):
            pending_old = _strip_label(raw[4:])
            continue
        if raw.startswith("+++ ") and pending_old is not None:
            current = DiffFile(pending_old, _strip_label(raw[4:]))
            files.append(current)
            pending_old, hunk = None, None
            continue
        match = HUNK_HEADER.match(raw)
        if match:
            if current is None:
                current = DiffFile("", "")
                files.append(current)
            old_no, new_no = int(match.group(1)), int(match.group(3))
            hunk = DiffHunk(raw, match.group(5).strip(), sum(len(f.hunks) for f in files))
            current.hunks.append(hunk)
            continue
        if hunk is None:
            continue
        marker, body = raw[:1], raw[1:]
        if marker == "+":
            hunk.lines.append(DiffLine("add", None, new_no, body))
            new_no += 1
        elif marker == "-":
            hunk.lines.append(DiffLine("del", old_no, None, body))
            old_no += 1
        elif marker == " " or raw == "":
            hunk.lines.append(DiffLine("ctx", old_no, new_no, body))
            old_no += 1
            new_no += 1
        else:
            hunk.lines.append(DiffLine("note", None, None, raw))
    for diff_file in files:
        _highlight(diff_file)
    return ParsedDiff(files, truncated)


def _in_hunk(hunk: DiffHunk, old_no: int, new_no: int) -> bool:
    """True while the hunk still expects lines (so a removed line `-- x` is not a header)."""
    match = HUNK_HEADER.match(hunk.header)
    if match is None:
        return False
    old_end = int(match.group(1)) + int(match.group(2) or 1)
    new_end = int(match.group(3)) + int(match.group(4) or 1)
    return old_no < old_end or new_no < new_end


def _highlight(diff_file: DiffFile) -> None:
    """Highlight the old side and the new side of a file, each in one lexer pass."""
    lexer = lexer_for(filename=diff_file.path)
    old_side = [ln for h in diff_file.hunks for ln in h.lines if ln.kind in ("ctx", "del")]
    new_side = [ln for h in diff_file.hunks for ln in h.lines if ln.kind == "add"]
    for side in (old_side, new_side):
        rendered = highlight_lines("\n".join(line.text for line in side), lexer)
        for line, html in zip(side, rendered, strict=False):
            line.html = html
        for line in side[len(rendered) :]:
            line.html = Markup("")
    for hunk in diff_file.hunks:
        for line in hunk.lines:
            if line.kind == "note":
                line.html = escape(line.text)
