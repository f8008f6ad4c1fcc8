"""Apply parsed hunks to a file's text in memory: exact context first, then whitespace-tolerant.

A hunk's old lines (context and removed) are looked for after the previous hunk, near the unified
header's line number or after the V4A `@@` anchor. Matching tries, in order: exact lines, lines
equal but for trailing whitespace, lines equal but for surrounding whitespace. Context lines keep
the file's own text; only `-` lines are removed and `+` lines added. Line endings (CRLF) and the
final newline of the file are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from codesm.agent.tools.patch_parse import Hunk
from codesm.errors import ToolFailure

__all__ = ["HunkMismatch", "PatchedText", "apply_hunks", "join_lines", "split_text"]

_MATCHERS: tuple[tuple[str, Callable[[str], str]], ...] = (
    ("exact", lambda s: s),
    ("trailing-whitespace", str.rstrip),
    ("whitespace", str.strip),
)


class HunkMismatch(ToolFailure):
    """A hunk's context or removed lines are not in the file."""


@dataclass(frozen=True)
class SplitText:
    lines: list[str]
    eol: str
    final_newline: bool


@dataclass(frozen=True)
class PatchedText:
    text: str
    matchers: tuple[str, ...]


def split_text(text: str) -> SplitText:
    """Lines without terminators, the dominant line ending, and whether the text ends with one."""
    crlf = text.count("\r\n")
    eol = "\r\n" if crlf and crlf >= text.count("\n") - crlf else "\n"
    final = text.endswith("\n")
    body = text[:-1] if final else text
    lines = body.split("\n") if body or final else []
    if eol == "\r\n":
        lines = [ln[:-1] if ln.endswith("\r") else ln for ln in lines]
    return SplitText(lines, eol, final)


def join_lines(lines: Sequence[str], eol: str, final_newline: bool) -> str:
    if not lines:
        return ""
    return eol.join(lines) + (eol if final_newline else "")


def _find(
    lines: Sequence[str], block: Sequence[str], start: int, hint: int | None, at_eof: bool
) -> tuple[int, str] | None:
    last = len(lines) - len(block)
    if last < start:
        return None
    if at_eof:
        candidates: list[int] = [last]
    else:
        candidates = list(range(start, last + 1))
        if hint is not None:
            candidates.sort(key=lambda i: abs(i - hint))
    for name, norm in _MATCHERS:
        wanted = [norm(b) for b in block]
        for i in candidates:
            if all(norm(lines[i + k]) == wanted[k] for k in range(len(block))):
                return i, name
    return None


def _find_anchor(lines: Sequence[str], anchor: str, start: int) -> int | None:
    for norm in (lambda s: s, str.strip):
        for i in range(start, len(lines)):
            if norm(lines[i]) == norm(anchor):
                return i
    return None


def _closest(lines: Sequence[str], block: Sequence[str]) -> str:
    first = next((b.strip() for b in block if b.strip()), None)
    if first is None:
        return ""
    for i, line in enumerate(lines):
        if line.strip() == first:
            shown = "\n".join(f"{j + 1:>6}\t{lines[j]}" for j in range(i, min(i + 5, len(lines))))
            return f" The first of those lines occurs at line {i + 1}:\n{shown}"
    return ""


def apply_hunks(text: str, hunks: Sequence[Hunk], *, path: str) -> PatchedText:
    """`text` with every hunk applied; raises `HunkMismatch` naming the hunk that does not fit."""
    split = split_text(text)
    lines = split.lines
    out: list[str] = []
    matchers: list[str] = []
    cursor = 0
    final_newline = split.final_newline
    for number, hunk in enumerate(hunks, start=1):
        search_from = cursor
        if hunk.anchor is not None:
            after = _find_anchor(lines, hunk.anchor, cursor)
            if after is None:
                raise HunkMismatch(
                    f"{path}: hunk {number} (patch line {hunk.line_no}): the '@@ {hunk.anchor}' "
                    "anchor line is not in the file (after the previous hunk)."
                )
            search_from = after
        old = hunk.old_lines
        hint = None if hunk.old_start is None else max(0, hunk.old_start - 1)
        if not old:
            if hunk.old_start is not None:
                position = min(max(hunk.old_start if hunk.old_start else 0, cursor), len(lines))
            elif hunk.anchor is not None:
                position = search_from
            else:
                position = len(lines)
            found: tuple[int, str] | None = (position, "exact")
        else:
            found = _find(lines, old, search_from, hint, hunk.at_eof)
        if found is None:
            shown = "\n".join(old[:8])
            raise HunkMismatch(
                f"{path}: hunk {number} (patch line {hunk.line_no}) does not apply: these lines "
                f"were not found{' after the previous hunk' if cursor else ''}:\n{shown}\n"
                f"{_closest(lines, old)}\nRead the file again and make the context and '-' lines "
                "match it exactly."
            )
        position, matcher = found
        matchers.append(matcher)
        out += lines[cursor:position]
        k = position
        for line in hunk.lines:
            if line.tag == "+":
                out.append(line.text)
            elif line.tag == " ":
                out.append(lines[k])
                k += 1
            else:
                k += 1
        cursor = k
        if hunk.no_newline_at_end and cursor == len(lines):
            final_newline = False
    out += lines[cursor:]
    if out and not lines:
        final_newline = not any(h.no_newline_at_end for h in hunks)
    return PatchedText(join_lines(out, split.eol, final_newline), tuple(matchers))
