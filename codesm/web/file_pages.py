"""One page of a text file's lines, for the code pane's preview of large files.

A page starts at a line offset and holds at most `PAGE_LINES` lines and `PAGE_BYTES` bytes. The
file is opened with `open_confined` (a symlink swapped in after the path check cannot redirect
the read) and scanned in chunks, so memory stays bounded by the page, whatever the file's size.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from codesm.workspace.paths import open_confined

PAGE_LINES = 2000
PAGE_BYTES = 512 * 1024
CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class FilePage:
    lines: list[str]
    offset: int
    """How many lines come before the page (its first line is number `offset + 1`)."""
    more: bool
    """Something follows the page (more lines, or the rest of a line cut at `PAGE_BYTES`)."""


def last_page_offset(line_count: int, page_lines: int = PAGE_LINES) -> int:
    """Where the last page of a file of `line_count` lines starts."""
    return max(0, (line_count - 1) // page_lines * page_lines)


def read_page(
    root: Path,
    rel: str,
    offset: int,
    *,
    page_lines: int = PAGE_LINES,
    page_bytes: int = PAGE_BYTES,
) -> FilePage:
    """The lines of `rel` after the first `offset` ones (blocking: run it in a thread)."""
    fd = open_confined(root, rel, os.O_RDONLY)
    with os.fdopen(fd, "rb", buffering=0) as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise IsADirectoryError(rel)
        rest = _skip_lines(file, offset)
        page = bytearray(rest)
        while page.count(b"\n") < page_lines and len(page) < page_bytes:
            chunk = file.read(CHUNK_BYTES)
            if not chunk:
                break
            page += chunk
        body, after = _cut(bytes(page), page_lines, page_bytes)
        more = bool(after) or bool(file.read(1))
    text = body.decode("utf-8", errors="replace")
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    if lines and lines[-1] == "":  # the page ends at a newline
        lines.pop()
    return FilePage(lines, offset, more)


def _skip_lines(file: IO[bytes], count: int) -> bytes:
    """Read past `count` newlines; returns what was read after the last of them."""
    while count > 0:
        chunk = file.read(CHUNK_BYTES)
        if not chunk:
            return b""
        found = chunk.count(b"\n")
        if found < count:
            count -= found
            continue
        pos = -1
        for _ in range(count):
            pos = chunk.index(b"\n", pos + 1)
        return chunk[pos + 1 :]
    return b""


def _cut(data: bytes, page_lines: int, page_bytes: int) -> tuple[bytes, bytes]:
    """`data` split after `page_lines` lines or `page_bytes` bytes, whichever comes first."""
    end = min(len(data), page_bytes)
    pos = -1
    for _ in range(page_lines):
        pos = data.find(b"\n", pos + 1, end)
        if pos < 0:
            return data[:end], data[end:]
    return data[: pos + 1], data[pos + 1 :]
