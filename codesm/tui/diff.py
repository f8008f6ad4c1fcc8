"""Unified diffs of proposed changes, split into hunks and syntax-highlighted for review.

Hunks are numbered across the whole diff, in order, from 0: the numbering `Approve(hunks=...)`
uses. The diff names files the model chose, so nothing in it is ever read as markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from rich.syntax import Syntax
from rich.text import Text

LineKind = Literal["add", "del", "ctx", "note"]
HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$")
MAX_LINES = 5_000
THEME = "ansi_dark"
STYLES: dict[LineKind, str] = {
    "add": "on #12361b",
    "del": "on #3d1418",
    "ctx": "",
    "note": "dim italic",
}
MARKERS: dict[LineKind, str] = {"add": "+", "del": "-", "ctx": " ", "note": " "}


@dataclass
class DiffLine:
    kind: LineKind
    old_no: int | None
    new_no: int | None
    text: str


@dataclass
class Hunk:
    index: int
    """0-based position among all hunks of the diff."""
    path: str
    header: str
    lines: list[DiffLine] = field(default_factory=list)

    @property
    def added(self) -> int:
        return sum(line.kind == "add" for line in self.lines)

    @property
    def removed(self) -> int:
        return sum(line.kind == "del" for line in self.lines)


def _label(raw: str) -> str:
    path = raw.split("\t", 1)[0].strip()
    return path[2:] if path[:2] in ("a/", "b/") else path


def parse_hunks(diff: str) -> list[Hunk]:
    """Every hunk of a unified diff (possibly of several files), in order."""
    hunks: list[Hunk] = []
    path = ""
    old_path: str | None = None
    old_no = new_no = old_end = new_end = 0
    for raw in diff.splitlines()[:MAX_LINES]:
        inside = bool(hunks) and (old_no < old_end or new_no < new_end)
        if raw.startswith("--- ") and not inside:
            old_path = _label(raw[4:])
            continue
        if raw.startswith("+++ ") and old_path is not None:
            new_path = _label(raw[4:])
            path = old_path if new_path == "/dev/null" else new_path
            old_path = None
            continue
        match = HUNK_HEADER.match(raw)
        if match and not inside:
            old_no, new_no = int(match.group(1)), int(match.group(3))
            old_end = old_no + int(match.group(2) or 1)
            new_end = new_no + int(match.group(4) or 1)
            hunks.append(Hunk(len(hunks), path, raw))
            continue
        if not hunks:
            continue
        lines = hunks[-1].lines
        marker, body = raw[:1], raw[1:]
        if marker == "+":
            lines.append(DiffLine("add", None, new_no, body))
            new_no += 1
        elif marker == "-":
            lines.append(DiffLine("del", old_no, None, body))
            old_no += 1
        elif marker == " " or raw == "":
            lines.append(DiffLine("ctx", old_no, new_no, body))
            old_no += 1
            new_no += 1
        else:
            lines.append(DiffLine("note", None, None, raw))
    return hunks


def render_hunk(hunk: Hunk) -> Text:
    """The hunk's lines with line numbers, +/- markers and the file type's highlighting."""
    lexer = Syntax.guess_lexer(hunk.path or "x.txt")
    syntax = Syntax("", lexer, theme=THEME)
    width = max((len(str(n)) for ln in hunk.lines for n in (ln.old_no, ln.new_no) if n), default=1)
    out = Text(no_wrap=True, overflow="ellipsis")
    for number, line in enumerate(hunk.lines):
        if number:
            out.append("\n")
        no = line.new_no if line.kind == "add" else line.old_no
        gutter = f"{no:>{width}} " if no is not None else " " * (width + 1)
        style = STYLES[line.kind]
        out.append(gutter, style=f"dim {style}".strip())
        out.append(MARKERS[line.kind] + " ", style=f"bold {style}".strip())
        if line.kind == "note":
            out.append(line.text, style=style)
            continue
        code = syntax.highlight(line.text)
        code.rstrip()
        if style:
            code.stylize(style)
        out.append_text(code)
    return out


def diff_stats(diff: str) -> tuple[int, int]:
    """Lines added and removed by a diff."""
    hunks = parse_hunks(diff)
    return sum(h.added for h in hunks), sum(h.removed for h in hunks)
