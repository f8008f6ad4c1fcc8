"""Cap what the model reads of a tool's output, keeping the head and tail, spooling the rest.

One place for every tool: `execute_tool_call` passes each result through `truncate_output`. The
full text goes to a spool file under the cache dir, and the marker tells the model where, so it
can `read` or `grep` that file instead of re-running the tool.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from codesm import paths

__all__ = [
    "DEFAULT_LIMITS",
    "OutputLimits",
    "Truncated",
    "decode_output",
    "default_spool_dir",
    "sanitize_text",
    "truncate_output",
]


@dataclass(frozen=True)
class OutputLimits:
    max_lines: int = 2000
    max_bytes: int = 50 * 1024


DEFAULT_LIMITS = OutputLimits()


@dataclass(frozen=True)
class Truncated:
    text: str
    truncated: bool
    spool_path: Path | None = None
    omitted_bytes: int = 0
    omitted_lines: int = 0


def default_spool_dir() -> Path:
    return paths.cache_dir() / "tool-output"


def decode_output(data: bytes) -> tuple[str, bool]:
    """Decode process output as UTF-8; invalid bytes become U+FFFD. Returns (text, had_invalid)."""
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace"), True


def sanitize_text(text: str) -> tuple[str, bool]:
    """Make `text` encodable as UTF-8 (lone surrogates, e.g. from undecodable file names, become
    U+FFFD). Returns (text, had_invalid)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        data = text.encode("utf-8", errors="surrogateescape" if _escapes_only(text) else "replace")
        return data.decode("utf-8", errors="replace"), True
    return text, False


def _escapes_only(text: str) -> bool:
    return all(0xDC80 <= ord(c) <= 0xDCFF for c in re.findall(r"[\ud800-\udfff]", text))


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)[:80] or "_"


def _back_to_char(data: bytes, pos: int) -> int:
    while 0 < pos < len(data) and (data[pos] & 0xC0) == 0x80:
        pos -= 1
    return pos


def _forward_to_char(data: bytes, pos: int) -> int:
    while 0 < pos < len(data) and (data[pos] & 0xC0) == 0x80:
        pos += 1
    return pos


def _head_cut(data: bytes, lines: int, budget: int) -> int:
    pos = 0
    for _ in range(lines):
        nl = data.find(b"\n", pos, budget)
        if nl == -1:
            break
        pos = nl + 1
    else:
        return pos
    if pos >= budget // 2:
        return pos
    return _back_to_char(data, min(budget, len(data)))


def _tail_cut(data: bytes, lines: int, budget: int) -> int:
    floor = max(0, len(data) - budget)
    if floor == 0:
        return 0
    end = len(data) - 1 if data.endswith(b"\n") else len(data)
    pos = len(data)
    for _ in range(lines):
        nl = data.rfind(b"\n", floor, end)
        if nl == -1:
            break
        pos, end = nl + 1, nl
    else:
        return pos
    if len(data) - pos >= budget // 2:
        return pos
    return _forward_to_char(data, floor)


def truncate_output(
    text: str,
    *,
    limits: OutputLimits = DEFAULT_LIMITS,
    spool_dir: Path | None = None,
    name: str = "output",
) -> Truncated:
    """Keep at most `limits` of `text`: half the lines/bytes from the head, half from the tail,
    with a marker between saying what was cut and where the full text was saved."""
    data = text.encode("utf-8")
    line_count = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    if line_count <= limits.max_lines and len(data) <= limits.max_bytes:
        return Truncated(text, False)
    half_lines = max(1, limits.max_lines // 2)
    half_bytes = max(1, limits.max_bytes // 2)
    head = _head_cut(data, half_lines, half_bytes)
    tail = max(head, _tail_cut(data, half_lines, half_bytes))
    omitted = data[head:tail]
    omitted_lines = omitted.count(b"\n")
    spool_path: Path | None = None
    try:
        directory = spool_dir if spool_dir is not None else default_spool_dir()
        directory.mkdir(parents=True, exist_ok=True)
        spool_path = directory / f"{_safe_name(name)}.txt"
        spool_path.write_bytes(data)
    except OSError:
        spool_path = None
    where = (
        f"the full output is saved in {spool_path} (read or grep it for the rest)"
        if spool_path is not None
        else "the full output could not be saved"
    )
    marker = (
        f"\n[... {len(omitted):,} bytes ({omitted_lines:,} lines) omitted of "
        f"{len(data):,} bytes ({line_count:,} lines); {where} ...]\n"
    )
    head_text = data[:head].decode("utf-8")
    tail_text = data[tail:].decode("utf-8")
    return Truncated(
        head_text.rstrip("\n") + marker + tail_text,
        True,
        spool_path,
        omitted_bytes=len(omitted),
        omitted_lines=omitted_lines,
    )
