"""Partial acceptance: build the content that results from accepting only some hunks of a change.

Hunks are located by their line ranges, and the lines themselves are taken from the old and the
new content with their terminators, so line endings (CRLF, a missing final newline) and a BOM on
the first line come through byte for byte. Lines are split on `\\n` only, as the native diff does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from codesm.agent.changes.model import DiffHunk

_LINE = re.compile(r"[^\n]*\n|[^\n]+\Z")


def split_lines(text: str) -> list[str]:
    """Lines of `text`, each keeping its `\\n` (the last may lack one); `\\r` stays in the line."""
    return _LINE.findall(text)


def _start(start: int, length: int) -> int:
    # In a unified header an empty range names the line *before* it (`-0,0` for an empty side).
    return start if length == 0 else start - 1


def apply_hunk_subset(
    old: str, new: str, hunks: Sequence[DiffHunk], accepted: Iterable[int]
) -> str:
    """The content of `old` with only the `accepted` hunks (0-based) of the `old` -> `new` diff.

    Accepting every hunk gives `new`; accepting none gives `old`. Raises `ValueError` for an index
    that names no hunk, or hunks that do not fit the two texts.
    """
    chosen = set(accepted)
    unknown = sorted(i for i in chosen if not 0 <= i < len(hunks))
    if unknown:
        raise ValueError(f"no hunk {unknown[0]}: the change has {len(hunks)} hunk(s)")
    old_lines = split_lines(old)
    new_lines = split_lines(new)
    out: list[str] = []
    pos = 0
    for index, hunk in enumerate(hunks):
        first = _start(hunk.old_start, hunk.old_len)
        if first < pos or first + hunk.old_len > len(old_lines):
            raise ValueError(f"hunk {index} ({hunk.header}) does not fit the old content")
        out += old_lines[pos:first]
        if index in chosen:
            new_first = _start(hunk.new_start, hunk.new_len)
            if new_first + hunk.new_len > len(new_lines):
                raise ValueError(f"hunk {index} ({hunk.header}) does not fit the new content")
            out += new_lines[new_first : new_first + hunk.new_len]
        else:
            out += old_lines[first : first + hunk.old_len]
        pos = first + hunk.old_len
    out += old_lines[pos:]
    return "".join(out)


def describe_selection(accepted: Iterable[int], total: int) -> str:
    """For the model: which hunks (1-based, as a reader counts them) were applied."""
    chosen = sorted(set(accepted))
    rejected = [i for i in range(total) if i not in chosen]
    applied_text = ", ".join(str(i + 1) for i in chosen) or "none"
    rejected_text = ", ".join(str(i + 1) for i in rejected)
    return (
        f"The user accepted only some hunks: applied hunk(s) {applied_text} of {total}; "
        f"hunk(s) {rejected_text} were not applied."
    )
