"""`read`: show a file with numbered lines, paged; describe binaries and images instead."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import Field

from codesm import native
from codesm.agent.changes.model import content_hash
from codesm.agent.tools.base import (
    Params,
    Tool,
    ToolContext,
    ToolFailure,
    ToolResult,
    relative_display,
    resolve_path,
)
from codesm.agent.tools.filetypes import HEADER_BYTES, human_size, sniff
from codesm.agent.tools.proposing import regular_file_or_fail

DEFAULT_LIMIT = 2000
MAX_LINE_CHARS = 2000
PAGE_BUDGET_BYTES = 48 * 1024
_CHUNK = 64 * 1024
_LINE_KEEP_BYTES = MAX_LINE_CHARS * 4 + 4
_UTF16_MAX_BYTES = 16 * 1024 * 1024


class ReadParams(Params):
    path: str = Field(description="Path of the file, relative to the workspace root.")
    offset: int | None = Field(
        default=None, ge=1, description="1-based line number to start from (default 1)."
    )
    limit: int | None = Field(
        default=None,
        ge=1,
        description=f"Maximum number of lines to return (default {DEFAULT_LIMIT}).",
    )


@dataclass
class _Page:
    digest: str = ""
    lines: list[tuple[int, str]] = field(default_factory=list)
    total: int = 0
    next_offset: int | None = None
    invalid_utf8: bool = False
    cut_lines: int = 0


def _render(number: int, raw: bytes | str, page: _Page) -> str:
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("utf-8", errors="replace")
            # A multi-byte character cut by the keep limit is not an encoding error.
            if len(raw) < _LINE_KEEP_BYTES or "\ufffd" in text[:-1]:
                page.invalid_utf8 = True
    else:
        text = raw
    if len(text) > MAX_LINE_CHARS or len(raw) >= _LINE_KEEP_BYTES:
        page.cut_lines += 1
        text = text[:MAX_LINE_CHARS] + " [... line truncated]"
    return f"{number:>6}\t{text}"


def _scan_utf8(path: Path, start: int, count: int, bom: bool) -> _Page:
    """Stream the file once: hash every byte, keep only the requested lines (each cut to a
    bounded prefix), so memory stays bounded whatever the file's size or line length."""
    page = _Page()
    sha = hashlib.sha256()
    used = 0
    number = 1
    keep = bytearray()
    line_len = 0
    collecting = True
    with open(path, "rb") as f:
        while True:
            chunk = f.readline(_CHUNK)
            if not chunk:
                break
            sha.update(chunk)
            ends = chunk.endswith(b"\n")
            wanted = collecting and start <= number < start + count
            if wanted and len(keep) < _LINE_KEEP_BYTES:
                keep += chunk[: _LINE_KEEP_BYTES - len(keep)]
            line_len += len(chunk)
            if not ends:
                continue
            if wanted:
                used += _take(page, number, keep, bom)
                if used > PAGE_BUDGET_BYTES:
                    collecting = False
                    page.next_offset = number + 1
            elif collecting and number >= start + count:
                collecting = False
                page.next_offset = number
            number += 1
            keep.clear()
            line_len = 0
        if line_len:
            if collecting and start <= number < start + count:
                _take(page, number, keep, bom)
            elif collecting and number >= start + count:
                page.next_offset = number
            number += 1
    page.total = number - 1
    page.digest = sha.hexdigest()
    if page.next_offset is not None and page.next_offset > page.total:
        page.next_offset = None
    return page


def _take(page: _Page, number: int, keep: bytearray, bom: bool) -> int:
    raw = bytes(keep).rstrip(b"\n")
    raw = raw[:-1] if raw.endswith(b"\r") else raw
    if number == 1 and bom:
        raw = raw.removeprefix(b"\xef\xbb\xbf")
    line = _render(number, raw, page)
    page.lines.append((number, line))
    return len(line) + 1


def _scan_decoded(text: str, digest: str, start: int, count: int) -> _Page:
    page = _Page(digest=digest)
    lines = text.splitlines()
    page.total = len(lines)
    used = 0
    for number in range(start, min(len(lines), start + count - 1) + 1):
        line = _render(number, lines[number - 1], page)
        page.lines.append((number, line))
        used += len(line) + 1
        if used > PAGE_BUDGET_BYTES:
            break
    last = page.lines[-1][0] if page.lines else start - 1
    page.next_offset = last + 1 if last < page.total else None
    return page


def _scan_utf16(path: Path, encoding: str, start: int, count: int) -> _Page:
    data = path.read_bytes()
    text = data.decode("utf-16-le" if encoding == "utf-16le" else "utf-16-be", errors="replace")
    return _scan_decoded(text.removeprefix("\ufeff"), content_hash(data), start, count)


def _read_head(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(HEADER_BYTES)


class ReadTool(Tool[ReadParams]):
    name = "read"
    params = ReadParams
    read_only = True

    async def run(self, params: ReadParams, ctx: ToolContext) -> ToolResult:
        path = resolve_path(ctx, params.path, must_exist=True)
        rel = relative_display(ctx, path)
        st = regular_file_or_fail(path, rel)
        meta: dict[str, object] = {"path": rel, "size": st.st_size}
        if st.st_size == 0:
            ctx.read_ledger.record(path, content_hash(b""))
            return ToolResult(f"{rel} exists but is empty (0 bytes).", metadata=meta)
        info = await native.inspect_file(path)
        meta.update(encoding=info.encoding, line_ending=info.line_ending)
        if info.is_binary and info.encoding not in ("utf-16le", "utf-16be"):
            return await self._describe_binary(path, rel, st.st_size, ctx, meta)
        start = params.offset or 1
        count = params.limit or DEFAULT_LIMIT
        if info.encoding in ("utf-16le", "utf-16be"):
            if st.st_size > _UTF16_MAX_BYTES:
                raise ToolFailure(f"{rel} is a UTF-16 file too large to show ({st.st_size:,} B).")
            page = await asyncio.to_thread(_scan_utf16, path, info.encoding, start, count)
        else:
            bom = info.encoding == "utf-8-bom"
            page = await asyncio.to_thread(_scan_utf8, path, start, count, bom)
        ctx.read_ledger.record(path, page.digest)
        meta.update(total_lines=page.total, invalid_utf8=page.invalid_utf8)
        if not page.lines:
            raise ToolFailure(
                f"offset {start} is past the end of {rel}, which has {page.total} lines."
            )
        first, last = page.lines[0][0], page.lines[-1][0]
        meta.update(first_line=first, last_line=last)
        out = "\n".join(line for _, line in page.lines)
        notes: list[str] = []
        if page.next_offset is not None:
            notes.append(
                f"Showing lines {first}-{last} of {page.total}. "
                f"Use offset={page.next_offset} to read more."
            )
        if page.cut_lines:
            notes.append(f"{page.cut_lines} line(s) longer than {MAX_LINE_CHARS} chars were cut.")
        if page.invalid_utf8:
            notes.append("The file is not valid UTF-8; undecodable bytes are shown as \ufffd.")
        elif info.encoding in ("utf-16le", "utf-16be"):
            notes.append(f"The file is {info.encoding.upper()} encoded.")
        if notes:
            out += "\n\n(" + " ".join(notes) + ")"
        return ToolResult(out, metadata=meta)

    async def _describe_binary(
        self, path: Path, rel: str, size: int, ctx: ToolContext, meta: dict[str, object]
    ) -> ToolResult:
        head = await asyncio.to_thread(_read_head, path)
        digest = await asyncio.to_thread(_hash_file, path)
        ctx.read_ledger.record(path, digest)
        found = sniff(head)
        kind = found.kind if found else "binary data of unknown type"
        meta.update(binary=True, kind=kind, image=bool(found and found.is_image))
        dims = ""
        if found and found.width and found.height:
            dims = f", {found.width}x{found.height} pixels"
            meta.update(width=found.width, height=found.height)
        what = "an image" if found and found.is_image else "a binary file"
        return ToolResult(
            f"{rel} is {what}: {kind}{dims}, {human_size(size)}. Its contents are not shown "
            "as text.",
            metadata=meta,
        )


def _hash_file(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()
